import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { runCli, signingArgs, type CliResult } from './helpers/cli.js';

/**
 * `posdecom decommission` with `--port` repeated, run as a technician would (the built CLI, no
 * TTY), against unpaced in-process `sim:` terminals with different seeds. One job per terminal,
 * each with its own work order, directory and certificate; a combined display; one failure
 * does not stop the others; the exit code is the worst of all.
 */
const PASSPHRASE = 'multi-terminal test passphrase';
let pki: OrganisationPki;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'posdecom-multi-'));
  pki = await createOrganisationPki(join(root, 'pki'), {
    passphrase: PASSPHRASE,
    technicianName: 'Test Technician',
    technicianEmail: 'tech@example.org',
    org: 'Test Estate',
    iterations: 1000,
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Terminal {
  seed: number;
  serial: string;
  port: string;
  codeEnv: string;
  code: string;
}

/** A terminal's identity and authority code: they depend only on model and seed. */
async function terminal(seed: number, params = ''): Promise<Terminal> {
  const probe = await SimulatedTerminal.create({ model: 'countertop', seed });
  const t = {
    seed,
    serial: probe.identity.serial,
    port: `sim:countertop?seed=${seed}${params}`,
    codeEnv: `TEST_AUTHORITY_CODE_${seed}`,
    code: probe.authorityCode,
  };
  await probe.close();
  return t;
}

function workOrder(t: Terminal, serial = t.serial) {
  return {
    id: `WO-${t.seed}`,
    terminal: { serial },
    reason: 'end-of-lease',
    owner: { merchant: 'Test Merchant', location: 'Bench 1' },
    technician: { name: 'Test Technician', organisation: 'Test Estate', contact: 'tech@example.org' },
    destination: 'recycling',
    authority: { reference: `AUTH-${t.seed}`, codeEnv: t.codeEnv },
  };
}

function writeJson(dir: string, name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(data));
  return path;
}

interface Summary {
  port: string;
  dir: string;
  serial: string | null;
  workOrder: string | null;
  overall: string;
  exitCode: number;
  stopReason: string | null;
  certificate: { json: string; signature: string } | null;
}

async function decommission(
  terminals: Terminal[],
  workOrderFiles: string[],
  out: string,
  options: { json?: boolean; codes?: Record<string, string> } = {},
): Promise<CliResult & { jobs: Summary[]; exit: number }> {
  const env: Record<string, string> = { POSDECOM_KEY_PASSPHRASE: PASSPHRASE };
  for (const t of terminals) env[t.codeEnv] = options.codes?.[t.codeEnv] ?? t.code;
  const result = await runCli(
    [
      'decommission',
      ...terminals.flatMap((t) => ['--port', t.port]),
      ...workOrderFiles.flatMap((f) => ['--work-order', f]),
      '--out',
      out,
      ...signingArgs(pki),
      '--yes',
      ...(options.json === false ? [] : ['--json']),
    ],
    env,
    120_000,
  );
  if (options.json === false) return { ...result, jobs: [], exit: result.code ?? -1 };
  const parsed = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
    exitCode: number;
    jobs: Summary[];
  };
  return { ...result, jobs: parsed.jobs, exit: parsed.exitCode };
}

async function certificateOf(
  job: Summary,
): Promise<{ serial: string; workOrder: string; verified: boolean }> {
  const json = readFileSync(join(job.dir, 'certificate.json'));
  const report = await verifyCertificate(
    json,
    readFileSync(join(job.dir, 'certificate.p7s')),
    pki.caCertPem,
    {
      backupDir: job.dir,
    },
  );
  const cert = JSON.parse(json.toString('utf8')) as { device: { serial: string }; workOrder: { id: string } };
  return { serial: cert.device.serial, workOrder: cert.workOrder.id, verified: report.ok };
}

describe('decommission with several --port', () => {
  it('runs one job per terminal, each in its own directory with its own verified certificate', async () => {
    const dir = mkdtempSync(join(root, 'three-'));
    const terminals = await Promise.all([41, 42, 43].map((s) => terminal(s)));
    const orders = writeJson(dir, 'orders.json', { workOrders: terminals.map((t) => workOrder(t)) });
    const out = join(dir, 'out');
    const run = await decommission(terminals, [orders], out);

    expect(run.code, run.stderr).toBe(0);
    expect(run.exit).toBe(0);
    expect(run.jobs.map((j) => j.port)).toEqual(terminals.map((t) => t.port));
    expect(run.jobs.map((j) => j.serial)).toEqual(terminals.map((t) => t.serial));
    expect(run.jobs.map((j) => j.overall)).toEqual(['PASS', 'PASS', 'PASS']);
    const dirs = run.jobs.map((j) => j.dir);
    expect(new Set(dirs).size).toBe(3);
    for (const d of dirs) expect(relative(out, d)).toMatch(/^[1-3]-sim-countertop-seed-4[1-3]$/);
    for (const [i, job] of run.jobs.entries()) {
      expect(existsSync(join(job.dir, 'journal.jsonl'))).toBe(true);
      // The certificate names this terminal and its own work order, and its backup is its own.
      expect(await certificateOf(job)).toEqual({
        serial: terminals[i]!.serial,
        workOrder: `WO-${terminals[i]!.seed}`,
        verified: true,
      });
    }
  });

  it('gives the i-th --work-order file to the i-th --port', async () => {
    const dir = mkdtempSync(join(root, 'files-'));
    const terminals = await Promise.all([44, 45].map((s) => terminal(s)));
    const files = terminals.map((t) => writeJson(dir, `wo-${t.seed}.json`, workOrder(t)));
    const run = await decommission(terminals, files, join(dir, 'out'));

    expect(run.code, run.stderr).toBe(0);
    expect(run.jobs.map((j) => j.workOrder)).toEqual(['WO-44', 'WO-45']);
    expect(run.jobs.map((j) => j.overall)).toEqual(['PASS', 'PASS']);
  });

  it('refuses, before touching any terminal, a count of work-order files that fits neither the ports nor one', async () => {
    const dir = mkdtempSync(join(root, 'count-'));
    const terminals = await Promise.all([46, 47, 48].map((s) => terminal(s)));
    const files = terminals.slice(0, 2).map((t) => writeJson(dir, `wo-${t.seed}.json`, workOrder(t)));
    const run = await decommission(terminals, files, join(dir, 'out'), { json: false });

    expect(run.exit).toBe(2);
    expect(run.stderr).toMatch(/3 --port but 2 --work-order/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses the same --port twice, since two jobs would take one terminal from each other', async () => {
    const dir = mkdtempSync(join(root, 'twice-'));
    const t = await terminal(49);
    const orders = writeJson(dir, 'orders.json', workOrder(t));
    const run = await decommission([t, t], [orders], join(dir, 'out'), { json: false });

    expect(run.exit).toBe(2);
    expect(run.stderr).toContain(`--port ${t.port} is given twice`);
  });

  it('lets the other jobs finish when some fail, and exits with the worst outcome', async () => {
    const dir = mkdtempSync(join(root, 'failures-'));
    const good1 = await terminal(51);
    const unsettled = await terminal(52, '&unsettled=1');
    const wrongSerial = await terminal(53);
    const wrongCode = await terminal(54);
    const good2 = await terminal(55);
    const terminals = [good1, unsettled, wrongSerial, wrongCode, good2];
    const orders = writeJson(dir, 'orders.json', {
      workOrders: [
        workOrder(good1),
        workOrder(unsettled),
        workOrder(wrongSerial, 'KC4000000000'),
        workOrder(wrongCode),
        workOrder(good2),
      ],
    });
    const run = await decommission(terminals, [orders], join(dir, 'out'), {
      codes: { [wrongCode.codeEnv]: 'AAAAAAAAAAAAAAAA' },
    });

    const byPort = Object.fromEntries(run.jobs.map((j) => [j.port, j]));
    expect(byPort[good1.port]).toMatchObject({ overall: 'PASS', exitCode: 0 });
    expect(byPort[good2.port]).toMatchObject({ overall: 'PASS', exitCode: 0 });
    // The host could not settle: stopped before anything was erased (precondition).
    expect(byPort[unsettled.port]!.exitCode).toBe(6);
    expect(byPort[unsettled.port]!.overall).not.toBe('PASS');
    // No work order names this terminal: nothing was changed on it.
    expect(byPort[wrongSerial.port]).toMatchObject({ exitCode: 6, overall: 'INCOMPLETE' });
    expect(byPort[wrongSerial.port]!.stopReason).toMatch(/serial number mismatch/);
    // The terminal refused the authority code.
    expect(byPort[wrongCode.port]!.exitCode).toBe(5);
    // Worst, not largest: a refused authorization (5) outranks a precondition (6).
    expect(run.exit).toBe(5);
    expect(run.code).toBe(5);
    for (const good of [good1, good2]) expect((await certificateOf(byPort[good.port]!)).verified).toBe(true);
  });

  it('shows one combined display: every line names its job, and each finished job is counted', async () => {
    const dir = mkdtempSync(join(root, 'display-'));
    const ok = await terminal(61);
    const unsettled = await terminal(62, '&unsettled=1');
    const orders = writeJson(dir, 'orders.json', { workOrders: [workOrder(ok), workOrder(unsettled)] });
    const run = await decommission([ok, unsettled], [orders], join(dir, 'out'), { json: false });

    expect(run.exit).toBe(6);
    const lines = run.stdout.split('\n');
    // Both jobs report as they go, interleaved, each line tagged with its job.
    expect(lines.some((l) => /^\d\d:\d\d:\d\d \[1\] ==> backup: journal$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d \[2\] ==> settle$/.test(l))).toBe(true);
    expect(
      lines.filter((l) => / \[[12]\] finished: /.test(l)).map((l) => l.replace(/^\S+ \[\d\] /, '')),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^finished: PASS, exit 0 \([12] of 2 terminals done\)$/),
        expect.stringMatching(/^finished: \w+, exit 6 \([12] of 2 terminals done\)$/),
      ]),
    );
    // The end: one line per terminal and the command's exit code, after the per-job tables.
    const fleet = run.stdout.slice(run.stdout.lastIndexOf('2 terminals:'));
    expect(fleet).toMatch(/^2 terminals: 1 finished with exit 0, 1 did not; exit code 6 \(the worst\)/);
    expect(fleet).toContain(`[1]  ${ok.port}`);
    expect(fleet).toMatch(
      new RegExp(
        `\\[2\\]  ${unsettled.port.replace(/[?&=]/g, '.')} +${unsettled.serial} .*exit 6 +stopped: `,
      ),
    );
  });
});

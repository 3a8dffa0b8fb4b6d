import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAttestations } from '../agent/attest-file.js';
import { ExitCode } from '../agent/exit-codes.js';
import type { DecommissionOptions } from '../agent/workflow/job-run.js';
import { decodeMessage } from '../protocol/zvt/codec/message.js';
import { fileBlockOf } from '../protocol/zvt/ecr/results.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../protocol/zvt/terminal/index.js';
import { runJob, testPki, type JobRun } from './helpers/job-harness.js';
import { runZvtJob } from './helpers/zvt-job.js';

/**
 * A whole ZVT decommission in-process, against the simulated ZVT terminal: what the workflow
 * does with a protocol that cannot do every step, and every guard it keeps (issue 13).
 */
const terminals: SimulatedZvtTerminal[] = [];
afterAll(async () => {
  for (const t of terminals) await t.close();
  await (await testPki()).dispose();
});

interface Certificate {
  overall: { result: string };
  steps: {
    step: string;
    target?: string;
    result: string;
    note?: string;
    evidence: Record<string, unknown>;
  }[];
}

async function zvtJob(
  sim: Partial<SimZvtOptions> = {},
  options: Partial<Omit<DecommissionOptions, 'reporter'>> = {},
): Promise<{ run: JobRun; terminal: SimulatedZvtTerminal; cert: Certificate | undefined }> {
  const terminal = await SimulatedZvtTerminal.create({ seed: 21, fileScale: 0.02, ...sim });
  terminals.push(terminal);
  const run = await runZvtJob(terminal, { options });
  const cert = await readFile(join(run.dir, 'certificate.json'), 'utf8')
    .then((t) => JSON.parse(t) as Certificate)
    .catch(() => undefined);
  return { run, terminal, cert };
}

const result = (c: Certificate, step: string, target?: string) =>
  c.steps.find((s) => s.step === step && s.target === target);

describe('a ZVT decommission', () => {
  it('does every step ZVT can, records acceptance, networks and keys UNKNOWN, and ends INCOMPLETE (exit 11)', async () => {
    const record = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-rec-')), 'transcript.jsonl');
    const { run, terminal, cert } = await zvtJob({}, { record });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(cert!.overall.result).toBe('INCOMPLETE');
    for (const s of ['identify', 'authorize', 'settle', 'unbind', 'finalize'])
      expect(result(cert!, s)?.result).toBe('PASS');
    for (const ch of ['contact', 'magstripe', 'nfc', 'qr'])
      expect(result(cert!, 'disable-acceptance', ch)).toMatchObject({
        result: 'UNKNOWN',
        note: expect.stringMatching(/no standard command/),
      });
    expect(result(cert!, 'network-down')?.result).toBe('UNKNOWN');
    expect(result(cert!, 'key-zeroization')?.result).toBe('UNKNOWN');
    for (const f of terminal.snapshot().files) {
      expect(f.deleted, f.name).toBe(true);
      expect(result(cert!, 'backup', f.name)?.evidence).toMatchObject({
        digestSource: expect.stringMatching(/two full reads/),
      });
      expect(result(cert!, 'erase', f.name)?.evidence).toMatchObject({ method: 'delete' });
      expect(result(cert!, 'erase-verification', f.name)?.result).toBe('PASS');
    }
    expect(terminal.snapshot()).toMatchObject({ tid: null, batchCount: 0, configByte: null });
    expect(result(cert!, 'authorize')?.evidence).toMatchObject({
      configByte: '3C',
      ecrControlsPayment: true,
    });
    expect((result(cert!, 'identify')?.evidence.systemConfiguration as string[]).length).toBeGreaterThan(3);
    // The password is in no file the job wrote and nowhere on screen (digests, which may hold any
    // six digits by chance, are left out of the search).
    const password = terminal.workOrderFor().password;
    const files = ['certificate.json', 'journal.jsonl', 'audit.log'].map((f) => join(run.dir, f));
    for (const text of [
      ...(await Promise.all([...files, record].map((f) => readFile(f, 'utf8')))),
      run.output,
      run.errors,
    ])
      expect(text.replace(/[0-9a-fA-F]{16,}/g, '')).not.toContain(password);
  });

  it('shows the plan with where each verdict comes from, and a dry run changes nothing', async () => {
    const { run, terminal } = await zvtJob({}, { dryRun: true });
    expect(run.exitCode, run.output).toBe(ExitCode.Success);
    expect(run.output).toMatch(
      /1\. switch off acceptance: contact, magstripe, nfc, qr\n\s+verdict: not possible over zvt\/PA00P015 \(no standard command\): UNKNOWN unless attested/,
    );
    expect(run.output).toMatch(
      /2\. forward the store-and-forward queue: the protocol can neither see nor forward it; the job goes on\n\s+verdict: not possible over zvt\/PA00P015 \(no standard command\): UNKNOWN unless attested/,
    );
    expect(run.output).toMatch(
      /3\. settle .*\n\s+verdict: measured by the terminal: Send Turnover Totals \(06 10\) before and after End-of-Day/,
    );
    expect(run.output).toMatch(/7\. zeroize the payment keys\n\s+verdict: not possible over zvt/);
    expect(run.output).toMatch(/cannot be a PASS/);
    const s = terminal.snapshot();
    expect(s.files.every((f) => !f.deleted)).toBe(true);
    expect(s.batchCount).toBeGreaterThan(0);
    expect(s.tid).not.toBeNull();
  });

  it("takes the technician's attestation for a step ZVT cannot do: ATTESTED, still INCOMPLETE", async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-attest-')), 'attest.json');
    await writeFile(
      file,
      JSON.stringify({
        step: 'network-down',
        statement: 'SIM card removed, LAN cable unplugged',
        time: new Date(Date.now() - 60_000).toISOString(),
      }),
    );
    const { run, cert } = await zvtJob({}, { attestations: await readAttestations(file) });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(result(cert!, 'network-down')?.result).toBe('ATTESTED');
    expect(cert!.overall.result).toBe('INCOMPLETE');
  });

  it('stops on an End-of-Day Abort with its result code, before anything is deleted (exit 6)', async () => {
    const { run, terminal, cert } = await zvtJob({ faults: 'preauth' });
    expect(run.exitCode, run.output).toBe(ExitCode.Precondition);
    expect(result(cert!, 'settle')).toMatchObject({
      result: 'FAIL',
      evidence: { refusal: 'B8', resultText: 'error pre-authorisation' },
    });
    expect(terminal.snapshot().files.some((f) => f.deleted)).toBe(false);
    expect(terminal.snapshot().tid).not.toBeNull();
  });

  it('never resets the TID while the batch is unsettled, even with --allow-unsettled', async () => {
    const { run, terminal, cert } = await zvtJob({ faults: 'preauth' }, { allowUnsettled: true });
    expect(run.exitCode).not.toBe(ExitCode.Success);
    expect(result(cert!, 'unbind')).toMatchObject({
      result: 'FAIL',
      note: expect.stringMatching(/no unbind before settlement/),
    });
    expect(terminal.snapshot().tid).not.toBeNull();
    expect(terminal.snapshot().requests.setterminalid ?? 0).toBe(0);
  });

  it("leaves a terminal's files alone when it gives no file access: UNKNOWN, and the rest of the job runs (exit 11)", async () => {
    const { run, terminal, cert } = await zvtJob({ faults: 'nofileaccess' });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(result(cert!, 'backup', 'files')).toMatchObject({
      result: 'UNKNOWN',
      note: expect.stringMatching(/no file access/),
    });
    expect(result(cert!, 'erase', 'files')?.result).toBe('UNKNOWN');
    expect(result(cert!, 'erase-verification', 'files')?.result).toBe('UNKNOWN');
    expect(result(cert!, 'unbind')?.result).toBe('PASS');
    expect(terminal.snapshot().requests.deletefile ?? 0).toBe(0);
  });

  it('continues a Read File cut by a pulled cable from the offset reached: nothing of that pass is read twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'posdecom-zvt-pull-'));
    const record = join(dir, 'transcript.jsonl');
    const { run, terminal } = await zvtJob({ faults: 'drop=readfile:3' }, { record, reconnectWaitMs: 5000 });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(run.output).toMatch(/link lost during read merchant-journal/);
    // The first pass over the merchant journal, as the transcript tells it, across both links.
    let session = 0;
    const reads: { session: number; offset: number }[] = [];
    const blocks: { session: number; offset: number; length: number }[] = [];
    for (const line of (await readFile(record, 'utf8')).split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { kind?: string; n?: number; dir?: string; step?: string; hex?: string };
      if (e.kind === 'session') session = e.n!;
      if (e.step !== 'backup:merchant-journal' || !e.hex) continue;
      const apdu = Buffer.from(e.hex, 'hex');
      if (e.dir === 'out' && apdu[0] === 0x08 && apdu[1] === 0x11) {
        const offset = apdu.length > 10 ? apdu.readUInt32BE(apdu.length - 4) : 0;
        reads.push({ session, offset });
      }
      const d = decodeMessage(apdu);
      const b = e.dir === 'in' && d.ok ? fileBlockOf(d.message) : undefined;
      if (b) blocks.push({ session, offset: b.offset, length: b.data.length });
    }
    expect(reads.slice(0, 2)).toEqual([
      { session: 1, offset: 0 },
      { session: 2, offset: 3072 },
    ]);
    const size = terminal.snapshot().files.find((f) => f.id === 1)!.size;
    const firstPass = blocks.slice(
      0,
      blocks.findIndex((b, i) => i > 0 && b.offset === 0),
    );
    expect(firstPass.map((b) => b.offset)).toEqual([...new Set(firstPass.map((b) => b.offset))]);
    expect(firstPass.reduce((n, b) => n + b.length, 0)).toBe(size);
    expect(firstPass.filter((b) => b.session === 1).length).toBe(3);
  });

  it('refuses a ZVT work order without the password in one line, before anything is changed (exit 2)', async () => {
    const terminal = await SimulatedZvtTerminal.create({ seed: 22 });
    terminals.push(terminal);
    const who = terminal.workOrderFor();
    const run = await runJob({
      peer: terminal,
      dir: join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-nopw-')), 'out'),
      terminal: { serial: who.serial, authorityCode: 'x' },
      options: { protocol: 'zvt' },
    });
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.summary.stopReason).toMatch(
      /a ZVT job needs the terminal's password \(zvt\.passwordEnv or zvt\.password\)/,
    );
  });
});

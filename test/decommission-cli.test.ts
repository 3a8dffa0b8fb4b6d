import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { runCli, signingArgs } from './helpers/cli.js';

/**
 * The technician's main command, run as a separate process with the simulated terminal
 * in-process behind `sim:` (its --state file lets a second process find the same terminal).
 */
const PASSPHRASE = 'test passphrase for decommission';
let pki: OrganisationPki;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'posdecom-decom-'));
  pki = await createOrganisationPki(join(root, 'pki'), {
    passphrase: PASSPHRASE,
    technicianName: 'Test Technician',
    technicianEmail: 'tech@example.org',
    org: 'Test Estate',
  });
});

async function jobFor(seed: number, model = 'countertop', overrides: Record<string, unknown> = {}) {
  const probe = await SimulatedTerminal.create({ model: model as 'countertop', seed });
  const serial = probe.identity.serial;
  const code = probe.authorityCode;
  await probe.close();
  const dir = mkdtempSync(join(root, `job-${seed}-`));
  const workOrder = join(dir, 'work-order.json');
  writeFileSync(
    workOrder,
    JSON.stringify({
      id: `WO-${seed}`,
      terminal: { serial },
      reason: 'end-of-lease',
      owner: { merchant: 'Test Merchant', location: 'Bench 1' },
      technician: { name: 'Test Technician', organisation: 'Test Estate', contact: 'tech@example.org' },
      destination: 'recycling',
      authority: { reference: 'AUTH-1', codeEnv: 'TEST_AUTHORITY_CODE' },
      ...overrides,
    }),
  );
  const out = join(dir, 'out');
  const state = join(dir, 'terminal-state.json');
  const args = (port: string, ...extra: string[]) => [
    'decommission',
    '--port',
    port,
    '--work-order',
    workOrder,
    '--out',
    out,
    ...signingArgs(pki),
    '--yes',
    ...extra,
  ];
  const env = { POSDECOM_KEY_PASSPHRASE: PASSPHRASE, TEST_AUTHORITY_CODE: code };
  return {
    serial,
    code,
    dir,
    out,
    state,
    args,
    env,
    port: (q = '') => `sim:${model}?seed=${seed}&state=${state}${q}`,
  };
}

function certificate(out: string): {
  overall: { result: string };
  steps: { step: string; target?: string; result: string }[];
} {
  return JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')) as never;
}

function opensslVerifies(out: string): boolean {
  try {
    execFileSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        join(out, 'certificate.p7s'),
        '-content',
        join(out, 'certificate.json'),
        '-CAfile',
        pki.caCertPath,
        '-out',
        '/dev/null',
      ],
      { stdio: 'pipe' },
    );
    return true;
  } catch {
    return false;
  }
}

describe('posdecom decommission', () => {
  it('runs the whole job, prints the summary as JSON, and the certificate verifies with openssl', async () => {
    const j = await jobFor(21);
    const r = await runCli([...j.args(j.port()), '--json'], j.env);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { overall: string; serial: string; exitCode: number };
    expect(summary).toMatchObject({ overall: 'PASS', serial: j.serial, exitCode: 0 });
    expect(certificate(j.out).overall.result).toBe('PASS');
    expect(opensslVerifies(j.out)).toBe(true);
    const verify = await runCli([
      'verify',
      join(j.out, 'certificate.json'),
      '--ca',
      pki.caCertPath,
      '--backup',
      j.out,
    ]);
    expect(verify.code).toBe(0);
    // The authority code and the passphrase never reach the output or the files.
    for (const text of [
      r.stdout,
      r.stderr,
      readFileSync(join(j.out, 'audit.log'), 'utf8'),
      readFileSync(join(j.out, 'journal.jsonl'), 'utf8'),
    ]) {
      expect(text).not.toContain(j.code);
      expect(text).not.toContain(PASSPHRASE);
    }
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const j = await jobFor(22);
    const r = await runCli([...j.args(j.port()), '--dry-run'], j.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Plan for .* serial /);
    expect(r.stdout).toMatch(/dry run: nothing was changed/);
    expect(existsSync(join(j.out, 'journal.jsonl'))).toBe(false);
    const after = await runCli(['identify', '--port', j.port(), '--json']);
    expect((JSON.parse(after.stdout) as { status: { bound: boolean } }).status.bound).toBe(true);
  });

  it('a serial number mismatch stops before anything is changed (exit 6)', async () => {
    const j = await jobFor(23, 'countertop', { terminal: { serial: 'NOT-THIS-ONE' } });
    const r = await runCli(j.args(j.port()), j.env);
    expect(r.code).toBe(6);
    expect(r.stdout + r.stderr).toMatch(
      /serial number mismatch: the terminal is .*, the work order names NOT-THIS-ONE; nothing was changed/,
    );
    expect(existsSync(join(j.out, 'journal.jsonl'))).toBe(false);
  });

  it('a wrong authority code is refused by the terminal (exit 5)', async () => {
    const j = await jobFor(24);
    const r = await runCli(j.args(j.port()), { ...j.env, TEST_AUTHORITY_CODE: 'WRONG-CODE' });
    expect(r.code).toBe(5);
    expect(r.stdout + r.stderr).toMatch(/AUTH_FAILED/);
  });

  it('an unsettled batch stops the job (exit 6); with --allow-unsettled it goes on but never claims PASS', async () => {
    const j = await jobFor(25);
    const stop = await runCli(j.args(j.port('&unsettled=1')), j.env);
    expect(stop.code).toBe(6);
    expect(stop.stdout).toMatch(/stopped: the open batch could not be settled/);
    expect(certificate(j.out).overall.result).not.toBe('PASS');

    const k = await jobFor(26);
    const go = await runCli([...k.args(k.port('&unsettled=1')), '--allow-unsettled'], k.env);
    expect(go.code).toBe(6);
    const cert = certificate(k.out);
    expect(cert.overall.result).toBe('FAIL');
    const result = (step: string, target?: string) =>
      cert.steps.find((s) => s.step === step && s.target === target)?.result;
    expect(result('settle')).toBe('FAIL');
    expect(result('backup', 'batch')).toBe('PASS');
    expect(result('erase', 'batch')).toBe('FAIL');
    expect(result('unbind')).toBe('FAIL');
    expect(result('finalize')).toBe('FAIL');
    expect(opensslVerifies(k.out)).toBe(true);
  });

  it('an interrupted job refuses a fresh run and completes with --resume', async () => {
    const j = await jobFor(27);
    const cut = await runCli(
      [...j.args(j.port('&faults=disconnect-at=READ:logs:50%25')), '--reconnect-wait', '0'],
      j.env,
    );
    expect(cut.code).toBe(9);
    expect(cut.stdout + cut.stderr).toMatch(/--resume/);
    const again = await runCli(j.args(j.port('&faults=disconnect-at=READ:logs:50%25')), j.env);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/holds an unfinished job; continue it with --resume/);
    const resumed = await runCli(
      [...j.args(j.port('&faults=disconnect-at=READ:logs:50%25')), '--resume'],
      j.env,
    );
    expect(resumed.code).toBe(0);
    expect(certificate(j.out).overall.result).toBe('PASS');
    expect(opensslVerifies(j.out)).toBe(true);
  });

  it('without --yes and without a TTY it refuses in one line (exit 2)', async () => {
    const j = await jobFor(28);
    const r = await runCli(
      j.args(j.port()).filter((a) => a !== '--yes'),
      j.env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('posdecom: no terminal to ask for confirmation on: pass --yes to go ahead\n');
  });
});

describe('posdecom demo', () => {
  it('runs the embedded job end to end and exits 0 with a verified certificate', async () => {
    const out = join(root, 'demo');
    const r = await runCli(['demo', '--out', out, '--json'], { POSDECOM_KEY_PASSPHRASE: '' });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { overall: string; certificateVerified: boolean };
    expect(s).toMatchObject({ overall: 'PASS', certificateVerified: true });
    for (const f of [
      'pki/ca.crt.pem',
      'pki/backup-recipient.crt.pem',
      'pki/backup-recipient.key.pem',
      'certificate.pdf',
    ]) {
      expect(existsSync(join(out, f))).toBe(true);
    }
  });
});

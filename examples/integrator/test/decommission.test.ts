import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runDecommission, verifyCertificate } from 'posdecom';
import { createSimulatedTerminal, type SimulatedTerminal } from 'posdecom/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * An integrator's suite: posdecom installed from its package, its simulated terminal driven
 * from code and from the CLI, every job checked by the verifier and by the terminal itself.
 */

const run = promisify(execFile);
const bin = join(createRequire(import.meta.url).resolve('posdecom/package.json'), '..', 'bin', 'posdecom.js');
const PASSPHRASE = 'integrator example';

let dir: string;
let pki: string;
const terminals: SimulatedTerminal[] = [];

/** The posdecom CLI as installed: exit code and output, whatever the code. */
async function posdecom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, POSDECOM_KEY_PASSPHRASE: PASSPHRASE },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const keys = () => ({
  backupRecipient: join(pki, 'backup-recipient.crt.pem'),
  signKey: join(pki, 'technician.key.pem'),
  signCert: join(pki, 'technician.crt.pem'),
  chain: join(pki, 'chain.pem'),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'integrator-'));
  // `posdecom demo` makes a throw-away organisation PKI and rehearses a whole job with it.
  const demo = await posdecom('demo', '--out', join(dir, 'demo'), '--json');
  expect(demo.code, demo.stderr).toBe(0);
  expect(JSON.parse(demo.stdout)).toMatchObject({ overall: 'PASS', certificateVerified: true });
  pki = join(dir, 'demo', 'pki');
});

afterAll(async () => {
  for (const t of terminals) await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('posdecom from an integrator test suite', () => {
  it('decommissions a simulated terminal through the library and verifies its certificate', async () => {
    const terminal = await createSimulatedTerminal({ model: 'mobile', seed: 7 });
    terminals.push(terminal);
    const result = await runDecommission({
      port: terminal.port,
      workOrder: terminal.workOrder({ destination: 'internal-reuse' }),
      out: join(dir, 'library-job'),
      ...keys(),
      passphrase: PASSPHRASE,
    });
    expect(result.exitCode, result.stopReason ?? '').toBe(0);
    expect(result.overall).toBe('PASS');

    const state = terminal.state();
    expect(state.decommissioned).toBe(true);
    expect(state.stores.every((s) => s.readWhole && s.erased && !s.lied)).toBe(true);
    expect(state.keys.every((k) => k.kcv === null)).toBe(true);

    const verified = await verifyCertificate({
      certificate: join(result.dir, 'certificate.json'),
      ca: join(pki, 'ca.crt.pem'),
      backup: result.dir,
    });
    expect(verified.ok).toBe(true);
  });

  it('serves the simulated terminal over TCP to the CLI, which decommissions it and verifies the result', async () => {
    const terminal = await createSimulatedTerminal({ model: 'countertop', seed: 8 });
    terminals.push(terminal);
    const served = await terminal.serveTcp();
    const workOrder = join(dir, 'work-order.json');
    await writeFile(workOrder, JSON.stringify(terminal.workOrder()));
    const out = join(dir, 'cli-job');
    const job = await posdecom(
      'decommission',
      ...['--port', served.address, '--work-order', workOrder, '--out', out, '--yes', '--json'],
      ...Object.entries(keys()).flatMap(([k, v]) => [
        `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        v,
      ]),
    );
    expect(job.code, job.stderr).toBe(0);
    await served.close();
    expect(terminal.state().requests['FINALIZE']).toBe(1);

    const verify = await posdecom('verify', join(out, 'certificate.json'), '--ca', join(pki, 'ca.crt.pem'));
    expect(verify.code, verify.stdout).toBe(0);
    const report = await posdecom('report', dir, '--ca', join(pki, 'ca.crt.pem'), '--json');
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).summary.counts.PASS).toBe(3);
  });

  it('changes the faults of a running terminal: an erase that lies is caught, and the job fails', async () => {
    const terminal = await createSimulatedTerminal({ model: 'countertop', seed: 9 });
    terminals.push(terminal);
    const result = await runDecommission({
      port: terminal.port,
      workOrder: terminal.workOrder(),
      out: join(dir, 'lying-job'),
      ...keys(),
      passphrase: PASSPHRASE,
      confirm: () => {
        terminal.setFaults('erase-lie=journal');
        return true;
      },
    });
    expect(result.exitCode).toBe(8);
    expect(terminal.state().stores.find((s) => s.name === 'journal')?.lied).toBe(true);
  });

  it('decommissions a simulated ZVT terminal, which ends INCOMPLETE: ZVT has no command to zeroize keys', async () => {
    const terminal = await createSimulatedTerminal({ protocol: 'zvt', model: 'zvt', seed: 10, scale: 0.02 });
    terminals.push(terminal);
    const result = await runDecommission({
      port: terminal.port,
      workOrder: terminal.workOrder(), // its TID and ZVT password included
      out: join(dir, 'zvt-job'),
      ...keys(),
      passphrase: PASSPHRASE,
    });
    expect(result.exitCode, result.stopReason ?? '').toBe(11);
    expect(result.overall).toBe('INCOMPLETE');
    expect(terminal.state().stores.every((s) => s.readWhole && s.erased)).toBe(true);
    const verified = await verifyCertificate({
      certificate: join(result.dir, 'certificate.json'),
      ca: join(pki, 'ca.crt.pem'),
    });
    expect(verified.ok).toBe(true);
  });
});

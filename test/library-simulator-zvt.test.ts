import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDecommission, verifyCertificate, type DecommissionOptions } from '../api/index.js';
import {
  createSimulatedTerminal,
  SIMULATOR_MODELS,
  type SimulatedTerminal,
  type SimulatorOptions,
} from '../api/simulator.js';
import { ExitCode } from '../agent/exit-codes.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { runCli } from './helpers/cli.js';

/**
 * The simulated ZVT terminal through the library (`posdecom/simulator` with protocol 'zvt'):
 * decommissioned from code with `runDecommission`, served to the CLI on ZVT's native TCP, its
 * faults changed while it runs, and its ground truth read afterwards, as for our own protocol.
 */

const PASSPHRASE = 'library zvt test passphrase';
let dir: string;
let pki: OrganisationPki;
const open: SimulatedTerminal[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'library-zvt-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: PASSPHRASE,
    technicianName: 'Library Technician',
    technicianEmail: 'library@example.org',
    org: 'Integrator Ltd',
    iterations: 1000,
  });
});
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function zvtTerminal(seed: number, more: Partial<SimulatorOptions> = {}): Promise<SimulatedTerminal> {
  const t = await createSimulatedTerminal({ protocol: 'zvt', model: 'zvt', seed, scale: 0.02, ...more });
  open.push(t);
  return t;
}

function jobOptions(t: SimulatedTerminal, out: string): DecommissionOptions {
  return {
    port: t.port,
    workOrder: t.workOrder(),
    out: join(dir, out),
    backupRecipient: pki.recipientCertPath,
    signKey: pki.technicianKeyPath,
    signCert: pki.technicianCertPath,
    chain: pki.chainPath,
    passphrase: PASSPHRASE,
  };
}

describe('the library with the simulated ZVT terminal', () => {
  it('decommissions it from code: every file read whole and deleted, the TID reset, INCOMPLETE as ZVT cannot zeroize', async () => {
    expect(SIMULATOR_MODELS.zvt).toEqual(['zvt']);
    const t = await zvtTerminal(601);
    expect(t.protocol).toBe('zvt');
    expect(t.identity.tid).not.toBeNull();
    expect(t.workOrder().zvt).toEqual({ password: t.authorityCode });
    const result = await runDecommission(jobOptions(t, 'zvt-job'));
    expect(result.exitCode, result.stopReason ?? '').toBe(ExitCode.Incomplete);
    expect(result.overall).toBe('INCOMPLETE');
    expect(result.steps.find((s) => s.step === 'key-zeroization')?.result).toBe('UNKNOWN');

    const state = t.state();
    expect(state.stores.length).toBeGreaterThan(0);
    for (const s of state.stores) expect(s, s.name).toMatchObject({ readWhole: true, erased: true });
    expect(state.requests.deletefile).toBe(state.stores.length);
    expect(state.identity.tid).toBeNull();
    expect(t.identity.tid).toBeNull();
    const verified = await verifyCertificate({
      certificate: result.certificate!.json,
      ca: pki.caCertPath,
      backup: result.dir,
    });
    expect(verified.ok, JSON.stringify(verified.checks.filter((c) => !c.ok))).toBe(true);
    expect(verified.certificate?.device.serial).toBe(t.identity.serial);
    // The estate view counts it INCOMPLETE (exit 11), a rehearsal on a simulated terminal.
    const report = await runCli(['report', result.dir, '--ca', pki.caCertPath, '--json']);
    expect(report.code, report.stderr).toBe(ExitCode.Incomplete);
    const estate = JSON.parse(report.stdout) as {
      rows: { serial: string; status: string; simulated: boolean; problem: string }[];
    };
    expect(estate.rows).toEqual([
      expect.objectContaining({ serial: t.identity.serial, status: 'INCOMPLETE', simulated: true }),
    ]);
    expect(estate.rows[0]!.problem).toMatch(/UNKNOWN|ATTESTED/);
  });

  it('serves ZVT over its native TCP to the CLI in another process', async () => {
    const t = await zvtTerminal(602);
    const served = await t.serveTcp();
    expect(served.address).toMatch(/^zvt\+tcp:\/\/127\.0\.0\.1:\d+$/);
    const r = await runCli(['identify', '--port', served.address, '--json']);
    expect(r.code, r.stderr).toBe(ExitCode.Success);
    expect(JSON.parse(r.stdout)).toMatchObject({
      identity: { serial: t.identity.serial },
      protocol: 'zvt/PA00P015',
    });
    expect(t.state().requests.statusenquiry).toBeGreaterThan(0);
    await served.close();
  });

  it('takes ZVT faults while it runs: without file access nothing is read or deleted, and nothing is PASS', async () => {
    const t = await zvtTerminal(603);
    t.setFaults('nofileaccess');
    const result = await runDecommission(jobOptions(t, 'no-files'));
    expect(result.overall).not.toBe('PASS');
    const state = t.state();
    expect(state.stores.every((s) => s.readBytes === 0 && !s.erased)).toBe(true);
    expect(() => t.setFaults('erase-lie=saf')).toThrow(expect.objectContaining({ exitCode: ExitCode.Usage }));
  });

  it('refuses what does not fit a ZVT terminal, and a ZVT job without its password, before anything is sent', async () => {
    const mismatched = [
      { protocol: 'line', model: 'zvt' },
      { protocol: 'zvt', model: 'countertop' },
      { model: 'zvt', protocolVersion: '1.0' },
      { model: 'countertop', blockSize: 512 },
    ] as SimulatorOptions[];
    for (const o of mismatched) {
      await expect(createSimulatedTerminal(o), JSON.stringify(o)).rejects.toMatchObject({
        name: 'PosdecomFailure',
        exitCode: ExitCode.Usage,
      });
    }
    const t = await zvtTerminal(604);
    const { zvt: _password, ...withoutPassword } = t.workOrder();
    const job = runDecommission({ ...jobOptions(t, 'no-password'), workOrder: withoutPassword });
    await expect(job).rejects.toMatchObject({ exitCode: ExitCode.Usage, message: /password/ });
    const line = runDecommission({ ...jobOptions(t, 'as-line'), protocol: 'line' });
    await expect(line).rejects.toMatchObject({ exitCode: ExitCode.Usage, message: /speaks ZVT/ });
    expect(Object.values(t.state().requests).reduce((a, b) => a + b, 0)).toBe(0);
  });
});

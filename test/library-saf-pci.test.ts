import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runDecommission, type DecommissionOptions } from '../api/index.js';
import { createSimulatedTerminal, type SimulatedTerminal, type SimulatorOptions } from '../api/simulator.js';
import { ExitCode } from '../agent/exit-codes.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';

/**
 * The library's side of money first and card data (protocol 1.1, the PCI scan): a simulated
 * terminal made with a SAF queue, clear card data or an older protocol version, decommissioned
 * from code with the CLI's `--card-data-backup`, and what the terminal itself saw afterwards.
 */

const PASSPHRASE = 'library saf test passphrase';
let dir: string;
let pki: OrganisationPki;
const open: SimulatedTerminal[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'library-saf-'));
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

async function terminal(options: Partial<SimulatorOptions>): Promise<SimulatedTerminal> {
  const t = await createSimulatedTerminal({ model: 'countertop', seed: 91, ...options });
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

describe('the library with SAF queues, card data and protocol versions', () => {
  it('forwards the queue first and, with cardDataBackup omit, keeps no copy of a card store yet erases every one', async () => {
    const t = await terminal({ noncompliant: true });
    expect(t.state().saf.queued).toBeGreaterThan(0);
    const result = await runDecommission({ ...jobOptions(t, 'omit'), cardDataBackup: 'omit' });
    expect(result.exitCode, result.stopReason ?? '').toBe(ExitCode.Success);
    expect(result.simulated).toBe(true);

    const state = t.state();
    expect(state.saf.queued).toBe(0);
    expect(state.requests.FORWARD).toBe(1);
    const cardStores = state.stores.filter((s) => s.cardData).map((s) => s.name);
    expect(cardStores).toEqual(expect.arrayContaining(['batch', 'saf']));
    for (const s of state.stores) {
      expect(s.erased, s.name).toBe(true);
      expect(s.readBackBytes, s.name).toBeGreaterThan(0);
      // Omitted means not kept: a card store is still read once (fingerprints, digest, PCI scan).
      expect(s.readWhole, s.name).toBe(true);
    }
    const manifest = await readFile(join(result.dir, 'backup', 'manifest.json'), 'utf8');
    for (const name of cardStores) expect(manifest).not.toContain(`"name":"${name}"`);
    const backups = result.steps.filter((s) => s.step === 'backup');
    expect(backups.filter((s) => cardStores.includes(s.target ?? '')).map((s) => s.result)).toEqual(
      cardStores.map(() => 'WARN'),
    );
  });

  it('keeps card stores by default, and a terminal holding clear card data gets a PCI finding', async () => {
    const t = await terminal({ noncompliant: true, seed: 93 });
    const result = await runDecommission(jobOptions(t, 'keep'));
    expect(result.exitCode, result.stopReason ?? '').toBe(ExitCode.Success);
    expect(t.state().stores.every((s) => s.readWhole && s.erased)).toBe(true);
    const findings = result.steps.filter((s) => s.step === 'backup' && s.result === 'WARN');
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.map((s) => s.note).join('\n')).toMatch(/PCI DSS/);
  });

  it('stops a 1.0 terminal, which cannot report its queue, before anything changes money', async () => {
    const t = await terminal({ protocolVersion: '1.0', seed: 94 });
    const result = await runDecommission(jobOptions(t, 'proto10'));
    expect(result.exitCode).toBe(ExitCode.Precondition);
    const state = t.state();
    expect(state.requests.FORWARD ?? 0).toBe(0);
    expect(state.requests.SETTLE ?? 0).toBe(0);
    expect(state.stores.some((s) => s.erased)).toBe(false);
    expect(result.steps.find((s) => s.step === 'forward-saf')?.result).toBe('UNKNOWN');
  });

  it('refuses a cardDataBackup or protocolVersion the CLI would refuse, before any terminal is touched', async () => {
    const t = await terminal({ seed: 95 });
    const odd = runDecommission({
      ...jobOptions(t, 'odd'),
      cardDataBackup: 'maybe' as DecommissionOptions['cardDataBackup'],
    });
    await expect(odd).rejects.toMatchObject({ exitCode: ExitCode.Usage, message: /keep' or 'omit/ });
    expect(t.state().requests.HELLO ?? 0).toBe(0);
    const future = createSimulatedTerminal({
      model: 'countertop',
      protocolVersion: '2.0' as SimulatorOptions['protocolVersion'],
    });
    await expect(future).rejects.toMatchObject({ name: 'PosdecomFailure', exitCode: ExitCode.Usage });
  });
});

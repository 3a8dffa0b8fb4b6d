import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDecommission, verifyCertificate, type WorkOrder } from '../api/index.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { testPki } from './helpers/job-harness.js';

/**
 * The library speaks ZVT as the CLI does: `protocol` (or a port that can only be ZVT), the
 * password in the work order's `zvt` block, ZVT's port defaults, and the same honest certificate.
 */
afterAll(async () => (await testPki()).dispose());

async function zvtOrder(seed: number): Promise<WorkOrder> {
  const t = await SimulatedZvtTerminal.create({ seed });
  const who = t.workOrderFor();
  await t.close();
  return {
    id: `WO-LIB-ZVT-${seed}`,
    terminal: { serial: who.serial },
    reason: 'end-of-lease',
    owner: { merchant: 'M', location: 'L' },
    technician: {
      name: 'Test Technician',
      organisation: 'Test Estate Ltd',
      contact: 'technician@example.org',
    },
    destination: 'recycling',
    authority: { reference: 'AUTH-LIB-ZVT' },
    zvt: { password: who.password },
  };
}

describe('runDecommission over ZVT', () => {
  it('decommissions a sim:zvt terminal to a verified INCOMPLETE certificate, never PASS (exit 11)', async () => {
    const pki = await testPki();
    const out = join(await mkdtemp(join(tmpdir(), 'posdecom-lib-zvt-')), 'job');
    const result = await runDecommission({
      port: 'sim:zvt?seed=61&scale=0.02',
      workOrder: await zvtOrder(61),
      out,
      backupRecipient: pki.recipientCertPath,
      signKey: pki.technicianKeyPath,
      signCert: pki.technicianCertPath,
      chain: pki.chainPath,
      passphrase: pki.passphrase,
    });
    expect(result.exitCode, result.stopReason ?? '').toBe(11);
    expect(result.overall).toBe('INCOMPLETE');
    expect(result.steps.find((s) => s.step === 'forward-saf')?.result).toBe('UNKNOWN');
    expect(result.steps.find((s) => s.step === 'settle')?.result).toBe('PASS');
    const verified = await verifyCertificate({ certificate: result.certificate!.json, ca: pki.caCertPath });
    expect(verified.ok).toBe(true);
  });

  it('refuses a ZVT work order without the password before the terminal is touched', async () => {
    const pki = await testPki();
    const { zvt: _zvt, ...noPassword } = await zvtOrder(62);
    await expect(
      runDecommission({
        port: 'sim:zvt?seed=62&scale=0.02',
        protocol: 'zvt',
        workOrder: noPassword,
        out: join(await mkdtemp(join(tmpdir(), 'posdecom-lib-zvt-')), 'job'),
        backupRecipient: pki.recipientCertPath,
        signKey: pki.technicianKeyPath,
        signCert: pki.technicianCertPath,
        chain: pki.chainPath,
        passphrase: pki.passphrase,
      }),
    ).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/zvt\.passwordEnv/) });
  });
});

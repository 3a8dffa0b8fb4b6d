import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PosdecomFailure,
  runDecommission,
  verifyCertificate,
  type DecommissionOptions,
} from '../api/index.js';
import { createSimulatedTerminal, SIMULATOR_MODELS, type SimulatedTerminal } from '../api/simulator.js';
import { ExitCode } from '../agent/exit-codes.js';
import { decodeFrame, encodeFrame } from '../protocol/line/frame.js';
import { loadSigner } from '../wipe/certificate/sign.js';
import { createOrganisationPki, issueTechnician, loadCa, type OrganisationPki } from '../wipe/pki/ca.js';
import { writeValidation } from '../wipe/validation/create.js';
import { runCli } from './helpers/cli.js';

/**
 * The library as an integrator uses it (api/: `posdecom` and `posdecom/simulator`): a simulated
 * terminal made from code, decommissioned through runDecommission, checked with
 * verifyCertificate and by what the terminal itself saw; served to the CLI over TCP and a
 * pseudo-terminal; spoken to as a stream; its faults changed while a job runs.
 */

const PASSPHRASE = 'library test passphrase';
let dir: string;
let pki: OrganisationPki;
const open: SimulatedTerminal[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'library-'));
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

async function terminal(seed: number, faults?: string): Promise<SimulatedTerminal> {
  const t = await createSimulatedTerminal({ model: 'countertop', seed, ...(faults ? { faults } : {}) });
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

describe('the simulator and decommission library', () => {
  it('decommissions a simulated terminal from code, and the terminal saw every store read, erased and every key zeroized', async () => {
    expect(SIMULATOR_MODELS.line).toEqual(['countertop', 'mobile', 'unattended']);
    const t = await terminal(301);
    const result = await runDecommission(jobOptions(t, 'clean'));
    expect(result.exitCode).toBe(ExitCode.Success);
    expect(result.overall).toBe('PASS');
    expect(result.serial).toBe(t.identity.serial);

    const state = t.state();
    expect(state.decommissioned).toBe(true);
    expect(state.bound).toBe(false);
    expect(Object.values(state.channels).every((on) => !on)).toBe(true);
    for (const s of state.stores) {
      expect(s, s.name).toMatchObject({ readWhole: true, readBytes: s.size, erased: true, lied: false });
      expect(s.readBackBytes, s.name).toBeGreaterThan(0);
    }
    expect(state.keys.filter((k) => k.kcv !== null)).toEqual([]);
    expect(state.keys.every((k) => k.zeroized)).toBe(true);
    expect(state.requests.ERASE).toBeGreaterThanOrEqual(state.stores.length);
    expect(state.requests.ZEROIZE).toBe(1);

    const verified = await verifyCertificate({
      certificate: result.certificate!.json,
      ca: pki.caCertPath,
      backup: result.dir,
    });
    expect(verified.ok).toBe(true);
    expect(verified.exitCode).toBe(ExitCode.Success);
    expect(verified.certificate).toMatchObject({
      device: { serial: t.identity.serial },
      overall: { result: 'PASS' },
    });
    expect(verified.checks.map((c) => c.name)).toContain('backup');
    // As `posdecom verify`: the journal and audit log beside the certificate are checked too.
    expect(verified.checks.find((c) => c.name === 'bound-files')).toMatchObject({ ok: true });
    expect(verified.signingTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(verified.validation).toBeNull();
  });

  it('takes other faults while a job runs: an erase lie set after the plan is caught by the read-back', async () => {
    const t = await terminal(302);
    const result = await runDecommission({
      ...jobOptions(t, 'lie'),
      confirm: () => {
        t.setFaults('erase-lie=saf');
        return true;
      },
    });
    expect(result.exitCode).toBe(ExitCode.EraseFailed);
    const saf = t.state().stores.find((s) => s.name === 'saf')!;
    expect(saf).toMatchObject({ erased: true, lied: true });
    expect(result.steps).toContainEqual(
      expect.objectContaining({ step: 'erase-verification', target: 'saf', result: 'FAIL' }),
    );
  });

  it('serves the CLI in another process over TCP, and on a pseudo-terminal', async () => {
    const t = await terminal(303);
    const tcp = await t.serveTcp();
    expect(tcp.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const overTcp = await runCli(['identify', '--port', tcp.address, '--json']);
    expect(overTcp.code).toBe(0);
    expect(JSON.parse(overTcp.stdout)).toMatchObject({ identity: { serial: t.identity.serial } });
    await tcp.close();

    const pty = await t.servePty({ link: join(dir, 'ttySIM0') });
    const overPty = await runCli(['identify', '--port', pty.address, '--json']);
    expect(overPty.code).toBe(0);
    expect(JSON.parse(overPty.stdout)).toMatchObject({ identity: { serial: t.identity.serial } });
    await pty.close();
    expect(t.state().requests.IDENTIFY).toBe(2);
  });

  it('speaks the line protocol over a plain Node stream', async () => {
    const t = await terminal(304);
    const stream = t.connect();
    const answer = new Promise<Buffer>((resolve) => {
      let got = Buffer.alloc(0);
      stream.on('data', (b: Buffer) => {
        got = Buffer.concat([got, b]);
        const lf = got.indexOf(0x0a);
        if (lf >= 0) resolve(got.subarray(0, lf));
      });
    });
    const header = {
      proto: '1.0',
      agent: 'integrator/1',
      maxLine: 4096,
      window: 1,
      enc: ['b64'],
      z: ['none'],
    };
    stream.write(encodeFrame({ seq: 1, kind: 'Q', type: 'HELLO', header }));
    const decoded = decodeFrame(await answer);
    expect(decoded.ok && decoded.frame.header).toMatchObject({ ok: true, proto: '1.0' });
    stream.destroy();
    expect(t.state().requests.HELLO).toBe(1);
  });

  it("rejects what it cannot use with a PosdecomFailure carrying the CLI's exit code", async () => {
    const wrongModel = createSimulatedTerminal({ model: 'kiosk' as never });
    await expect(wrongModel).rejects.toBeInstanceOf(PosdecomFailure);
    await expect(wrongModel).rejects.toMatchObject({ message: expect.stringContaining('kiosk') });
    const t = await terminal(305);
    expect(() => t.setFaults('meteor=1')).toThrow(PosdecomFailure);
    const noKeys = runDecommission({ ...jobOptions(t, 'nokeys'), signKey: undefined });
    await expect(noKeys).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: expect.stringContaining('--sign-key'),
    });
    const missing = verifyCertificate({ certificate: join(dir, 'none.json'), ca: pki.caCertPath });
    await expect(missing).rejects.toMatchObject({ exitCode: ExitCode.Usage });
    const noAttest = runDecommission({
      ...jobOptions(t, 'noattest'),
      attest: [join(dir, 'none.attest.json')],
    });
    await expect(noAttest).rejects.toMatchObject({ exitCode: ExitCode.Usage });
    const oddParts = runDecommission({ ...jobOptions(t, 'oddparts'), backupPartSize: 1000 });
    await expect(oddParts).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: expect.stringContaining('multiple of 4096'),
    });
    expect(t.state().requests.HELLO ?? 0).toBe(0);
  });

  it('forgets its port when closed, so a job cannot reach a terminal that is gone', async () => {
    const t = await terminal(306);
    await t.close();
    const result = await runDecommission(jobOptions(t, 'gone'));
    expect(result.exitCode).not.toBe(ExitCode.Success);
    expect(result.certificate).toBeNull();
  });

  it('verifies as the CLI does with a validation beside the certificate and a CRL that lists the signer', async () => {
    const t = await terminal(307);
    const result = await runDecommission(jobOptions(t, 'validated'));
    expect(result.exitCode).toBe(ExitCode.Success);
    const validatorDir = join(dir, 'validator');
    await issueTechnician(await loadCa(pki.dir, PASSPHRASE), validatorDir, {
      passphrase: PASSPHRASE,
      name: 'Vera Validator',
      email: 'vera@example.org',
      keyBits: 2048,
      iterations: 1000,
    });
    await writeValidation(result.certificate!.json, await loadSigner(validatorDir, PASSPHRASE), {
      outcome: 'accepted',
      note: 'Checked against the work order.',
      tool: { name: 'posdecom', version: 'test' },
    });
    const validated = await verifyCertificate({ certificate: result.certificate!.json, ca: pki.caCertPath });
    expect(validated.ok).toBe(true);
    expect(validated.validation).toMatchObject({
      ok: true,
      validator: 'Vera Validator',
      outcome: 'accepted',
    });

    const env = { POSDECOM_CA_PASSPHRASE: PASSPHRASE };
    const revoke = [
      'ca',
      'revoke',
      '--ca',
      pki.dir,
      '--cert',
      pki.technicianCertPath,
      '--reason',
      'keyCompromise',
    ];
    expect((await runCli(revoke, env)).code).toBe(ExitCode.Success);
    const crl = join(dir, 'ca.crl.pem');
    expect((await runCli(['ca', 'crl', '--ca', pki.dir, '--out', crl], env)).code).toBe(ExitCode.Success);
    const revoked = await verifyCertificate({
      certificate: result.certificate!.json,
      ca: pki.caCertPath,
      crl,
    });
    expect(revoked).toMatchObject({ ok: false, exitCode: ExitCode.VerifyFailed });
    expect(revoked.checks.filter((c) => !c.ok).map((c) => c.name)).toContain('revocation');
    const badCrl = verifyCertificate({
      certificate: result.certificate!.json,
      ca: pki.caCertPath,
      crl: pki.caCertPath,
    });
    await expect(badCrl).rejects.toMatchObject({ exitCode: ExitCode.Usage });
  });
});

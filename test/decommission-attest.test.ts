import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkAttestationSerials, readAttestations } from '../agent/attest-file.js';
import { main } from '../agent/cli.js';
import { ExitCode } from '../agent/exit-codes.js';
import { Journal } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { registerSimulatedTerminal } from '../protocol/transport/sim-registry.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { PASSPHRASE_ENV } from '../wipe/pki/passphrase.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { runCli } from './helpers/cli.js';
import { HostileProxy, patched, type Rule } from './helpers/hostile-proxy.js';
import { testPki, workOrderFor, type TestPki } from './helpers/job-harness.js';

/**
 * `decommission --attest FILE`: a bad file stops before the terminal is touched (exit 2); a
 * good one is journaled with its evidence copied into the job, lets a job go past a step the
 * driver cannot measure, and the certificate says ATTESTED and INCOMPLETE (exit 11), never PASS.
 */

let root: string;
let pki: TestPki;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'posdecom-attest-'));
  pki = await testPki();
});
afterAll(async () => rm(root, { recursive: true, force: true }));

async function file(name: string, content: unknown): Promise<string> {
  const path = join(root, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const GOOD = {
  step: 'disable-acceptance',
  target: 'magstripe',
  statement: 'Magstripe reader unplugged.',
  time: '2026-01-05T09:12:00+01:00',
};

describe('reading --attest files', () => {
  it('reads one entry or a list, normalises the time to UTC and digests each evidence file', async () => {
    await file('photos/reader.jpg', 'not really a jpeg');
    const path = await file('attest-good.json', [{ ...GOOD, evidence: ['photos/reader.jpg'] }]);
    const [a] = await readAttestations(path);
    expect(a).toMatchObject({
      step: 'disable-acceptance',
      target: 'magstripe',
      time: '2026-01-05T08:12:00.000Z',
      evidence: [{ name: 'reader.jpg', size: 17 }],
    });
    expect(a?.evidence[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await readAttestations(await file('attest-one.json', GOOD))).toHaveLength(1);
  });

  it.each([
    [
      'an unknown step',
      { ...GOOD, step: 'switch-off-nfc' },
      /entry 1: step must be one of identify, authorize, /,
    ],
    ['no statement', { step: 'settle', time: GOOD.time }, /entry 1: statement is missing/],
    [
      'a time without a zone',
      { ...GOOD, time: '2026-01-05 09:12' },
      /entry 1: time must be ISO 8601 with a zone/,
    ],
    [
      'a time in the future',
      { ...GOOD, time: '2999-01-01T00:00:00Z' },
      /entry 1: time 2999-01-01T00:00:00Z is in the future/,
    ],
    ['an unknown field', { ...GOOD, signedBy: 'x' }, /entry 1: unknown field signedBy/],
    [
      'missing evidence',
      { ...GOOD, evidence: ['nope.jpg'] },
      /entry 1: cannot read evidence nope.jpg: ENOENT/,
    ],
    [
      'an absolute evidence path',
      { ...GOOD, evidence: ['/etc/hostname'] },
      /must be relative to the attestation file/,
    ],
    ['not JSON', '{"step": ', /cannot read attestation file .*JSON/],
  ])('refuses a file with %s in one line', async (_what, content, message) => {
    const path = await file(`attest-${randomUUID()}.json`, content);
    const err = await readAttestations(path).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('wants a serial on every entry when several terminals run, and only serials a work order names', () => {
    const a = { step: 'settle' as const, statement: 's', time: '2026-01-01T00:00:00.000Z', evidence: [] };
    expect(() => checkAttestationSerials([a], ['S1', 'S2'], 2)).toThrow(
      /every entry must name its terminal's serial/,
    );
    expect(() => checkAttestationSerials([{ ...a, serial: 'S9' }], ['S1'], 1)).toThrow(
      /serial S9, which no work order names/,
    );
    expect(() => checkAttestationSerials([{ ...a, serial: 'S2' }], ['S1', 'S2'], 2)).not.toThrow();
  });

  it('stops the CLI with exit 2 before the terminal is touched', async () => {
    const out = join(root, 'cli-bad');
    const order = await file('cli-order.json', workOrderFor({ serial: 'KC4000000001', authorityCode: 'x' }));
    const bad = await file('cli-bad-attest.json', { ...GOOD, step: 'nfc-off' });
    const r = await runCli([
      'decommission',
      '--port',
      'sim:countertop?seed=5',
      '--work-order',
      order,
      '--out',
      out,
      '--yes',
      '--attest',
      bad,
      '--backup-recipient',
      pki.recipientCertPath,
      '--sign-key',
      pki.technicianKeyPath,
      '--sign-cert',
      pki.technicianCertPath,
      '--chain',
      pki.chainPath,
    ]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/entry 1: step must be one of /);
    expect(existsSync(join(out, 'journal.jsonl'))).toBe(false);
  });
});

/**
 * The terminal reports a magstripe reader in STATUS that HELLO never offered to switch, then
 * stops reporting it: the agent cannot switch it or see it off, so that channel is UNKNOWN.
 */
const unswitchableMagstripe = (): Rule => ({
  toAgent: (p) => {
    if (p.frame.kind !== 'R' || p.frame.type !== 'STATUS' || p.nth > 2) return undefined;
    const channels = p.frame.header.channels as Record<string, string>;
    return patched(p.frame, { channels: { ...channels, magstripe: 'on' } });
  },
});

async function cliJob(name: string, attest?: unknown) {
  const sim = await SimulatedTerminal.create({ model: 'mobile', seed: 61 });
  const proxy = new HostileProxy(sim, [unswitchableMagstripe()]);
  const port = `sim:attest-${name}?job=${randomUUID()}`;
  registerSimulatedTerminal(port, proxy);
  const out = join(root, name);
  const order = await file(
    `${name}-order.json`,
    workOrderFor({
      serial: sim.identity.serial,
      model: sim.identity.model,
      authorityCode: sim.authorityCode,
    }),
  );
  await file(`${name}/../${name}-photo.jpg`, 'photo bytes');
  const attestArgs = attest ? ['--attest', await file(`${name}-attest.json`, attest)] : [];
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.stubEnv(PASSPHRASE_ENV, pki.passphrase);
  try {
    const code = await main([
      'decommission',
      '--port',
      port,
      '--work-order',
      order,
      '--out',
      out,
      '--yes',
      '--json',
      '--timeout',
      '400',
      ...attestArgs,
      '--backup-recipient',
      pki.recipientCertPath,
      '--sign-key',
      pki.technicianKeyPath,
      '--sign-cert',
      pki.technicianCertPath,
      '--chain',
      pki.chainPath,
    ]);
    return {
      code,
      summary: JSON.parse(stdout) as { overall: string; simulated: boolean; exitCode: number },
      out,
    };
  } finally {
    spy.mockRestore();
    err.mockRestore();
    vi.unstubAllEnvs();
    await sim.close();
  }
}

async function certificateOf(out: string): Promise<WipeCertificate> {
  return JSON.parse(await readFile(join(out, 'certificate.json'), 'utf8')) as WipeCertificate;
}

describe('a job with a step the driver cannot measure', () => {
  it('stops before anything changes without an attestation (exit 6), with an INCOMPLETE certificate', async () => {
    const r = await cliJob('no-attest');
    expect(r.code).toBe(ExitCode.Precondition);
    const cert = await certificateOf(r.out);
    expect(cert.steps.find((s) => s.target === 'magstripe')).toMatchObject({ result: 'UNKNOWN' });
    expect(cert.overall.result).toBe('INCOMPLETE');
    expect(cert.steps.some((s) => s.step === 'erase')).toBe(false);
  });

  it('goes on with the technician’s attestation, and ends INCOMPLETE with exit 11 through the CLI, never PASS', async () => {
    const r = await cliJob('attested', [{ ...GOOD, evidence: ['attested-photo.jpg'] }]);
    expect(r.code).toBe(ExitCode.Incomplete);
    expect(r.summary).toMatchObject({ overall: 'INCOMPLETE', simulated: true, exitCode: 11 });
    const cert = await certificateOf(r.out);
    const step = cert.steps.find((s) => s.target === 'magstripe');
    expect(step).toMatchObject({
      result: 'ATTESTED',
      attestation: { statement: 'Magstripe reader unplugged.', time: '2026-01-05T08:12:00.000Z' },
    });
    const evidence = step?.attestation?.evidence[0];
    expect(evidence).toMatchObject({
      name: 'attested-photo.jpg',
      path: 'attestation/01-attested-photo.jpg',
      size: 11,
    });
    expect(await readFile(join(r.out, evidence!.path), 'utf8')).toBe('photo bytes');
    expect(cert.overall.result).toBe('INCOMPLETE');
    expect(cert.steps.filter((s) => s.step === 'erase').every((s) => s.result === 'PASS')).toBe(true);
    // Journaled (fsynced) at the start, before the first step, so --resume certifies the same.
    // (Identify and authorize ran before the journal existed; their entries open it.)
    const journal = Journal.read(join(r.out, 'journal.jsonl'));
    const firstIntent = journal.findIndex(
      (e) => e.type === 'intent' && e.step !== 'identify' && e.step !== 'authorize',
    );
    expect(journal.findIndex((e) => e.type === 'attest')).toBeGreaterThan(-1);
    expect(journal.findIndex((e) => e.type === 'attest')).toBeLessThan(firstIntent);
    const report = await verifyCertificate(
      await readFile(join(r.out, 'certificate.json')),
      await readFile(join(r.out, 'certificate.p7s')),
      pki.caCertPem,
    );
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

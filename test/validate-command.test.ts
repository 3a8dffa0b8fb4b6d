import { spawnSync } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../agent/cli.js';
import { ExitCode } from '../agent/exit-codes.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { writeCertificateFiles } from '../wipe/certificate/files.js';
import { loadSigner, signCertificate, type Signer } from '../wipe/certificate/sign.js';
import { createOrganisationPki, issueTechnician, loadCa, type OrganisationPki } from '../wipe/pki/ca.js';
import { PASSPHRASE_ENV } from '../wipe/pki/passphrase.js';
import { loadTrust } from '../wipe/verify/trust.js';
import { verifyJob } from '../wipe/verify/job.js';
import { sampleIssuedNow } from './helpers/sample-now.js';

/**
 * Validation by a second person (NIST SP 800-88 rev.2 s.4.5): `posdecom validate` writes
 * validation.json + validation.p7s beside the certificate; `verify` reports who validated, when
 * and the outcome, and fails a validation that is tampered, bound to other bytes, or made by
 * the certificate's own signer.
 */

const PASS = 'validation test';
let dir: string;
let pki: OrganisationPki;
let technician: Signer;
let validatorDir: string;

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  process.env[PASSPHRASE_ENV] = PASS;
  try {
    return { code: await main(argv), stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    delete process.env[PASSPHRASE_ENV];
  }
}

async function job(name: string): Promise<string> {
  const d = join(dir, name);
  await writeCertificateFiles(
    d,
    buildCertificate(sampleIssuedNow(technicianFromCertificate(technician.certPem))),
    technician,
  );
  return d;
}

const validate = (jobDir: string, outcome: string, who = validatorDir, extra: string[] = []) =>
  cli([
    'validate',
    join(jobDir, 'certificate.json'),
    '--sign-key',
    join(who, 'technician.key.pem'),
    '--sign-cert',
    join(who, 'technician.crt.pem'),
    '--chain',
    join(who, 'chain.pem'),
    '--outcome',
    outcome,
    '--note',
    'Read-back evidence and serial checked against the work order.',
    ...extra,
  ]);

const verify = (jobDir: string) => cli(['verify', join(jobDir, 'certificate.json'), '--ca', pki.caCertPath]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'validate-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: PASS,
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
  technician = await loadSigner(pki.dir, PASS);
  validatorDir = join(dir, 'validator');
  await issueTechnician(await loadCa(pki.dir, PASS), validatorDir, {
    passphrase: PASS,
    name: 'Vera Validator',
    email: 'vera@example.com',
    keyBits: 2048,
    iterations: 1000,
  });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('posdecom validate', () => {
  it('writes an accepted validation that verify reports, and openssl verifies its signature', async () => {
    const j = await job('accepted');
    const v = await validate(j, 'accepted');
    expect(v.code).toBe(ExitCode.Success);
    expect(v.stdout).toMatch(/^accepted by Vera Validator at \S+$/m);
    const record = JSON.parse(await readFile(join(j, 'validation.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({
      format: 'posdecom-validation/1',
      outcome: 'accepted',
      validator: { name: 'Vera Validator', organisation: 'Example Retail', contact: 'vera@example.com' },
    });
    const r = await verify(j);
    expect(r.code).toBe(ExitCode.Success);
    expect(r.stdout).toMatch(/^✓ validation: ACCEPTED by Vera Validator, Example Retail at \S+: "Read-back/m);
    expect(r.stdout).toMatch(/^VERIFIED \(overall result PASS; validated by Vera Validator at \S+\)$/m);
    const o = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'validation.p7s',
        '-content',
        'validation.json',
      ].concat(['-CAfile', pki.caCertPath, '-out', '/dev/null']),
      { cwd: j, encoding: 'utf8' },
    );
    expect(o.status).toBe(0);
  });

  it('records a not-accepted outcome, which verify reports without failing the signature checks', async () => {
    const j = await job('not-accepted');
    expect((await validate(j, 'not-accepted')).code).toBe(ExitCode.Success);
    const r = await verify(j);
    expect(r.code).toBe(ExitCode.Success);
    expect(r.stdout).toMatch(/^✓ validation: NOT ACCEPTED by Vera Validator/m);
    expect(r.stdout).toMatch(/; NOT ACCEPTED by Vera Validator at /);
  });

  it('fails verify (exit 10) when validation.json was edited after signing', async () => {
    const j = await job('tampered');
    await validate(j, 'not-accepted');
    const path = join(j, 'validation.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"not-accepted"', '"accepted"'));
    const r = await verify(j);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.stdout).toMatch(/^✗ validation: its signature does not hold \(message-digest: /m);
  });

  it('fails verify when the validation belongs to other certificate bytes', async () => {
    const a = await job('digest-a');
    const b = await job('digest-b');
    await validate(a, 'accepted');
    for (const f of ['validation.json', 'validation.p7s']) await copyFile(join(a, f), join(b, f));
    const r = await verify(b);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.stdout).toMatch(
      /^✗ validation: it is bound to other certificate bytes \(certificateSha256 differs\)/m,
    );
  });

  it('refuses the certificate’s own signer as validator (exit 2), and verify fails such a validation made by hand', async () => {
    const j = await job('same-signer');
    const self = await validate(j, 'accepted', pki.dir);
    expect(self.code).toBe(ExitCode.Usage);
    expect(self.stderr).toBe(
      'posdecom: the validator must be a second person: CN=Jane Doe, O=Example Retail signed the certificate\n',
    );
    const bytes = await readFile(join(j, 'certificate.json'));
    const record = {
      format: 'posdecom-validation/1',
      certificateId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
      certificateSha256: (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'),
      outcome: 'accepted',
      note: 'I checked my own work.',
      validator: { name: 'Jane Doe', signerSubject: 'CN=Jane Doe, O=Example Retail' },
      validatedAt: new Date().toISOString(),
      tool: { name: 'posdecom', version: '0.1.0' },
    };
    const json = canonicalBytes(record);
    await writeFile(join(j, 'validation.json'), json);
    await writeFile(join(j, 'validation.p7s'), signCertificate(json, technician));
    const r = await verify(j);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.stdout).toMatch(
      /^✗ validation: it was signed by the certificate's own signer \(CN=Jane Doe, O=Example Retail\)/m,
    );
  });

  it('refuses to accept a certificate that does not verify (exit 10, nothing written)', async () => {
    const j = await job('broken');
    const path = join(j, 'certificate.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"PASS"', '"FAIL"'));
    const r = await validate(j, 'accepted');
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.stderr).toMatch(/^posdecom: not validated: the certificate does not verify \(message-digest/);
    await expect(access(join(j, 'validation.json'))).rejects.toThrow();
  });

  it('exits 2 for a second validation of the same certificate and for a missing note', async () => {
    const j = await job('twice');
    expect((await validate(j, 'accepted')).code).toBe(ExitCode.Success);
    const again = await validate(j, 'accepted');
    expect(again.code).toBe(ExitCode.Usage);
    expect(again.stderr).toMatch(/already validated/);
    const noNote = await cli([
      'validate',
      join(j, 'certificate.json'),
      '--sign-key',
      'k',
      '--sign-cert',
      'c',
      '--chain',
      'c',
      '--outcome',
      'accepted',
    ]);
    expect(noNote.code).toBe(ExitCode.Usage);
    expect(noNote.stderr).toMatch(/Missing required argument: note/);
  });

  it('gives the estate report one call per job directory that reports the validation and never throws', async () => {
    const j = await job('for-report');
    await validate(j, 'accepted');
    const trust = await loadTrust(pki.caCertPem);
    const good = await verifyJob({ dir: j }, trust);
    expect(good.ok).toBe(true);
    expect(good.validation).toMatchObject({ ok: true, validator: 'Vera Validator', outcome: 'accepted' });
    const empty = join(dir, 'empty-job');
    await mkdir(empty);
    const missing = await verifyJob({ dir: empty }, trust);
    expect(missing.ok).toBe(false);
    expect(missing.checks).toEqual([
      {
        name: 'files',
        ok: false,
        detail: expect.stringMatching(
          /^cannot read \S+certificate\.json: no such file; cannot read \S+certificate\.p7s: no such file$/,
        ) as unknown,
      },
    ]);
    await writeFile(join(empty, 'certificate.json'), '{');
    await writeFile(join(empty, 'certificate.p7s'), 'not der');
    const garbage = await verifyJob({ dir: empty }, trust);
    expect(garbage.ok).toBe(false);
    expect(garbage.checks.find((c) => c.name === 'cms-structure')?.ok).toBe(false);
  });
});

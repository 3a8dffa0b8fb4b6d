import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../agent/cli.js';
import { ExitCode } from '../agent/exit-codes.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { writeCertificateFiles } from '../wipe/certificate/files.js';
import { loadSigner } from '../wipe/certificate/sign.js';
import { createOrganisationPki, loadCa, type OrganisationPki } from '../wipe/pki/ca.js';
import { issueCrl } from '../wipe/pki/crl.js';
import { PASSPHRASE_ENV } from '../wipe/pki/passphrase.js';
import { readRevocations } from '../wipe/pki/revocations.js';
import { opensslAccepts } from './helpers/openssl-cms.js';
import { sampleIssuedNow } from './helpers/sample-now.js';

/**
 * Revocation end to end: `ca revoke` records, `ca crl` publishes a signed CRL, and both
 * `posdecom verify --crl` and `openssl cms -verify -crl_check` refuse a revoked signer.
 */

const PASS = 'revocation test';
const MIN = 60_000;
let dir: string;
let pki: OrganisationPki;

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

/** A fresh PKI (CA and technician in one directory), so each test revokes its own signer. */
async function freshPki(name: string, org = 'Example Retail'): Promise<OrganisationPki> {
  return createOrganisationPki(join(dir, name), {
    passphrase: PASS,
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org,
    iterations: 1000,
  });
}

/** A job directory with a certificate signed by the PKI's technician at `at`. */
async function job(p: OrganisationPki, name: string, at = new Date()): Promise<string> {
  const signer = { ...(await loadSigner(p.dir, PASS)), signingTime: at };
  const out = join(dir, name);
  await writeCertificateFiles(
    out,
    buildCertificate(sampleIssuedNow(technicianFromCertificate(signer.certPem), at)),
    signer,
  );
  return out;
}

async function crl(p: OrganisationPki, name: string): Promise<string> {
  const path = join(dir, name);
  const r = await cli(['ca', 'crl', '--ca', p.dir, '--out', path]);
  expect(r.code).toBe(ExitCode.Success);
  return path;
}

const verify = (jobDir: string, p: OrganisationPki, crlPath: string) =>
  cli(['verify', join(jobDir, 'certificate.json'), '--ca', p.caCertPath, '--crl', crlPath]);

async function openssl(jobDir: string, p: OrganisationPki, crlPath: string) {
  const read = (f: string) => readFile(join(jobDir, f));
  return opensslAccepts(
    dir,
    await read('certificate.json'),
    await read('certificate.p7s'),
    p.caCertPem,
    await readFile(crlPath, 'utf8'),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-revocation-'));
  pki = await freshPki('pki');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('revocation', () => {
  it('passes a signer the CRL does not list, for posdecom and for openssl -crl_check', async () => {
    const j = await job(pki, 'clean');
    const c = await crl(pki, 'empty.crl.pem');
    const r = await verify(j, pki, c);
    expect(r.code).toBe(ExitCode.Success);
    expect(r.stdout).toMatch(/^✓ revocation: not revoked at the signing time per the CA's CRL of /m);
    expect((await openssl(j, pki, c)).ok).toBe(true);
  });

  it('fails a signer revoked for key compromise, for posdecom (exit 10) and for openssl -crl_check', async () => {
    const p = await freshPki('compromised');
    const j = await job(p, 'compromised-job', new Date(Date.now() - MIN));
    const rev = await cli([
      'ca',
      'revoke',
      '--ca',
      p.dir,
      '--cert',
      p.technicianCertPath,
      '--reason',
      'keyCompromise',
    ]);
    expect(rev.code).toBe(ExitCode.Success);
    expect(rev.stdout).toMatch(
      /^revoked CN=Jane Doe, O=Example Retail \(serial [0-9a-f]+\) at \S+: keyCompromise$/m,
    );
    const c = await crl(p, 'compromised.crl.pem');
    const r = await verify(j, p, c);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    // After a key compromise the signing time proves nothing: the thief can write any date.
    expect(r.stdout).toMatch(/^✗ revocation: Jane Doe was revoked \S+ \(keyCompromise\)$/m);
    const o = await openssl(j, p, c);
    expect(o.ok).toBe(false);
    expect(o.stderr).toMatch(/certificate revoked/);
  });

  it('fails a superseded signer who signed after the revocation, and keeps what was signed before it', async () => {
    const p = await freshPki('superseded');
    const before = await job(p, 'signed-before', new Date(Date.now() - 2 * MIN));
    expect(
      (await cli(['ca', 'revoke', '--ca', p.dir, '--cert', p.technicianCertPath, '--reason', 'superseded']))
        .code,
    ).toBe(0);
    const after = await job(p, 'signed-after', new Date(Date.now() + MIN));
    const c = await crl(p, 'superseded.crl.pem');
    const late = await verify(after, p, c);
    expect(late.code).toBe(ExitCode.VerifyFailed);
    expect(late.stdout).toMatch(
      /^✗ revocation: Jane Doe was revoked \S+ \(superseded\), before the signing time /m,
    );
    expect((await verify(before, p, c)).code).toBe(ExitCode.Success);
  });

  it('exits 2 with one line for a CRL from another CA, a forged CRL, an expired CRL and a file that is no CRL', async () => {
    const j = await job(pki, 'for-bad-crls');
    const other = await freshPki('other-org', 'Other Org');
    const twin = await freshPki('same-name-other-key');
    const expired = join(dir, 'expired.crl.pem');
    const ca = await loadCa(pki.dir, PASS);
    const list = await readRevocations(pki.dir);
    await writeFile(
      expired,
      await issueCrl(ca, list, { crlNumber: 99, now: new Date(Date.now() - 40 * 86_400_000), days: 30 }),
    );
    const cases: Array<[string, RegExp]> = [
      [
        await crl(other, 'other.crl.pem'),
        /^posdecom: the CRL was not issued by the CA \(Example Retail decommissioning CA\)\n$/,
      ],
      [
        await crl(twin, 'twin.crl.pem'),
        /^posdecom: the CRL is not signed by the CA \(Example Retail decommissioning CA\)\n$/,
      ],
      [expired, /^posdecom: the CRL expired at \S+ \(nextUpdate\); get a current one from the CA\n$/],
      [pki.caCertPath, /^posdecom: the CRL is not an X\.509 CRL \(PEM or DER\)\n$/],
    ];
    for (const [path, message] of cases) {
      const r = await verify(j, pki, path);
      expect(r.code, path).toBe(ExitCode.Usage);
      expect(r.stderr, path).toMatch(message);
    }
  });

  it('refuses to revoke twice or to revoke what the CA did not issue (exit 2), and numbers each CRL', async () => {
    const p = await freshPki('numbers');
    const revokeIt = () =>
      cli(['ca', 'revoke', '--ca', p.dir, '--cert', p.technicianCertPath, '--reason', 'superseded']);
    expect((await revokeIt()).code).toBe(ExitCode.Success);
    const again = await revokeIt();
    expect(again.code).toBe(ExitCode.Usage);
    expect(again.stderr).toMatch(
      /^posdecom: CN=Jane Doe, O=Example Retail was already revoked on \S+ \(superseded\)\n$/,
    );
    const foreign = await cli([
      'ca',
      'revoke',
      '--ca',
      p.dir,
      '--cert',
      pki.technicianCertPath,
      '--reason',
      'superseded',
    ]);
    expect(foreign.code).toBe(ExitCode.Usage);
    expect(foreign.stderr).toMatch(/was not issued by this CA/);
    const numbers = [];
    for (const n of ['one.crl.pem', 'two.crl.pem']) {
      const text = spawnSync('openssl', ['crl', '-in', await crl(p, n), '-noout', '-text'], {
        encoding: 'utf8',
      }).stdout;
      numbers.push(/X509v3 CRL Number:\s+(\d+)/.exec(text)?.[1]);
      expect(text).toMatch(/CRL Reason Code:\s+Superseded/);
      expect(text).toMatch(/Next Update: /);
    }
    expect(numbers).toEqual(['1', '2']);
  });
});

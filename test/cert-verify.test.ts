import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import { generateRsaKeyPair } from '../wipe/pki/keys.js';
import { createOrganisationPki, loadCa, type LoadedCa, type OrganisationPki } from '../wipe/pki/ca.js';
import {
  buildCertificate as buildX509,
  caExtensions,
  technicianExtensions,
  type ExtensionSpec,
} from '../wipe/pki/x509.js';
import { loadSigner, signCertificate, type Signer } from '../wipe/certificate/sign.js';
import { CHECK_NAMES, verifyCertificate, type VerificationReport } from '../wipe/verify/verify.js';

const PASSPHRASE = 'cert-verify test passphrase';
const DAY = 86_400_000;

let dir: string;
let pki: OrganisationPki;
let signer: Signer;
let ca: LoadedCa;
let certificate: WipeCertificate;
let json: Buffer;
let p7s: Buffer;

/** `openssl cms -verify` exactly as the README gives it; true when it accepts. */
async function opensslAccepts(
  jsonBytes: Uint8Array,
  sig: Uint8Array,
  caPem = pki.caCertPem,
): Promise<boolean> {
  const sub = await mkdtemp(join(dir, 'ossl-'));
  await Promise.all([
    writeFile(join(sub, 'certificate.json'), jsonBytes),
    writeFile(join(sub, 'certificate.p7s'), sig),
    writeFile(join(sub, 'ca.crt.pem'), caPem),
  ]);
  const r = spawnSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      'certificate.p7s',
      '-content',
      'certificate.json',
      '-CAfile',
      'ca.crt.pem',
      '-out',
      '/dev/null',
    ],
    { cwd: sub, encoding: 'utf8' },
  );
  if (r.error) throw r.error; // openssl missing fails the test; CI installs it
  return r.status === 0;
}

function failed(r: VerificationReport): string[] {
  return r.checks.filter((c) => !c.ok).map((c) => c.name);
}

/** A technician certificate with a chosen profile and validity, issued by the test CA. */
async function customSigner(o: {
  extensions?: ExtensionSpec[];
  notBefore?: Date;
  notAfter?: Date;
  issuer?: LoadedCa;
  chain?: string[];
}) {
  const pair = await generateRsaKeyPair(2048);
  const issuer = o.issuer ?? ca;
  const certPem = buildX509({
    subject: { commonName: 'Custom Signer', organisation: 'Example Retail' },
    publicKey: pair.publicKey,
    issuer: { certPem: issuer.certPem, key: issuer.key },
    notBefore: o.notBefore ?? new Date(Date.now() - DAY),
    notAfter: o.notAfter ?? new Date(Date.now() + 30 * DAY),
    extensions: o.extensions ?? technicianExtensions('custom@example.com'),
  });
  const s: Signer = { keyObject: pair.privateKey, certPem, chainPems: o.chain ?? [issuer.certPem] };
  return s;
}

function certifiedBy(s: Signer, issuedAt = new Date()): Buffer {
  const c = buildCertificate(sampleIssuedNow(technicianFromCertificate(s.certPem), issuedAt));
  return canonicalBytes(c);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cert-verify-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: PASSPHRASE,
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
  });
  signer = await loadSigner(join(dir, 'pki'), PASSPHRASE);
  ca = await loadCa(join(dir, 'pki'), PASSPHRASE);
  certificate = buildCertificate(sampleIssuedNow(technicianFromCertificate(signer.certPem)));
  json = canonicalBytes(certificate);
  p7s = signCertificate(json, signer);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('verifying a signed wipe certificate', () => {
  it('accepts a certificate signed by a technician of the trusted CA, reporting every check by name', async () => {
    const r = await verifyCertificate(json, p7s, pki.caCertPem);
    expect(r.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.certificate?.certificateId).toBe(certificate.certificateId);
  });

  it('is accepted by the README openssl line, without -purpose any', async () => {
    expect(await opensslAccepts(json, p7s)).toBe(true);
  });

  it('signs from a passphrase-protected PEM as well as from a loaded key', async () => {
    const keyPem = spawnSync('cat', [pki.technicianKeyPath], { encoding: 'utf8' }).stdout;
    const sig = signCertificate(json, {
      keyPem,
      passphrase: PASSPHRASE,
      certPem: signer.certPem,
      chainPems: signer.chainPems,
    });
    expect((await verifyCertificate(json, sig, pki.caCertPem)).ok).toBe(true);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const other = await generateRsaKeyPair(2048);
    expect(() => signCertificate(json, { ...signer, keyObject: other.privateKey })).toThrow(
      /does not belong/,
    );
  });

  it('fails the chain against another organisation’s CA, as openssl does', async () => {
    const other = await createOrganisationPki(join(dir, 'other'), {
      passphrase: PASSPHRASE,
      technicianName: 'Eve',
      technicianEmail: 'eve@example.com',
      org: 'Other Org',
      iterations: 1000,
    });
    const r = await verifyCertificate(json, p7s, other.caCertPem);
    // Without a path to the CA, the CAs' constraints cannot be judged: not checked is not passed.
    expect(failed(r)).toEqual(['chain', 'ca-constraints']);
    expect(await opensslAccepts(json, p7s, other.caCertPem)).toBe(false);
  });

  it('fails a signer whose certificate had expired at the signing time, as openssl does', async () => {
    const s = await customSigner({
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 10 * DAY),
    });
    const bytes = certifiedBy(s);
    const sig = signCertificate(bytes, s);
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    // The signer and the CA were never valid together, so no path exists to judge the CA by.
    expect(failed(r)).toEqual(['chain', 'ca-constraints']);
    expect(r.checks.find((c) => c.name === 'chain')?.detail).toMatch(/was not valid at the signing time/);
    expect(await opensslAccepts(bytes, sig)).toBe(false);
  });

  it('fails a signer whose certificate was not yet valid at the signing time', async () => {
    const s = await customSigner({
      notBefore: new Date(Date.now() + 10 * DAY),
      notAfter: new Date(Date.now() + 400 * DAY),
    });
    const bytes = certifiedBy(s);
    expect(failed(await verifyCertificate(bytes, signCertificate(bytes, s), pki.caCertPem))).toEqual([
      'chain',
    ]);
  });

  it('judges validity at the signing time: a signature made while the certificate was valid stays valid', async () => {
    const oldPki = await createOrganisationPki(join(dir, 'old'), {
      passphrase: PASSPHRASE,
      technicianName: 'Old Timer',
      technicianEmail: 'old@example.com',
      org: 'Example Retail',
      iterations: 1000,
      now: new Date(Date.now() - 500 * DAY),
    });
    const oldCa = await loadCa(join(dir, 'old'), PASSPHRASE);
    const s = await customSigner({
      issuer: oldCa,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 10 * DAY),
    });
    const signedAt = new Date(Date.now() - 100 * DAY);
    const bytes = certifiedBy(s, signedAt);
    const sig = signCertificate(bytes, { ...s, signingTime: signedAt });
    expect(failed(await verifyCertificate(bytes, sig, oldPki.caCertPem))).toEqual([]);
  });

  it('fails a signer without digitalSignature or nonRepudiation, as openssl does', async () => {
    const s = await customSigner({
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', emailProtection: true },
      ],
    });
    const bytes = certifiedBy(s);
    const sig = signCertificate(bytes, s);
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    expect(failed(r)).toEqual(['signer-usage']);
    expect(await opensslAccepts(bytes, sig)).toBe(false);
  });

  it('fails a signer whose extKeyUsage does not allow email protection, as openssl does', async () => {
    const s = await customSigner({
      extensions: [
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
      ],
    });
    const bytes = certifiedBy(s);
    const sig = signCertificate(bytes, s);
    expect(failed(await verifyCertificate(bytes, sig, pki.caCertPem))).toEqual(['signer-usage']);
    expect(await opensslAccepts(bytes, sig)).toBe(false);
  });

  it('follows a chain through an intermediate CA carried in the signature', async () => {
    const pair = await generateRsaKeyPair(2048);
    const intermediatePem = buildX509({
      subject: { commonName: 'Example Retail field CA', organisation: 'Example Retail' },
      publicKey: pair.publicKey,
      issuer: { certPem: ca.certPem, key: ca.key },
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      extensions: caExtensions(),
    });
    const intermediate: LoadedCa = {
      certPem: intermediatePem,
      key: pair.privateKey,
      organisation: 'Example Retail',
    };
    const s = await customSigner({ issuer: intermediate, chain: [intermediatePem, ca.certPem] });
    const bytes = certifiedBy(s);
    const sig = signCertificate(bytes, s);
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    expect(failed(r)).toEqual([]);
    expect(r.checks.find((c) => c.name === 'chain')?.detail).toBe(
      'Custom Signer <- Example Retail field CA <- Example Retail decommissioning CA; all valid at the signing time ' +
        /signing time (\S+)$/.exec(r.checks.find((c) => c.name === 'chain')?.detail ?? '')?.[1],
    );
    expect(await opensslAccepts(bytes, sig)).toBe(true);
  });

  it('refuses a signature that carries a certificate off the signer’s path', async () => {
    const stranger = await customSigner({});
    const sig = signCertificate(json, { ...signer, chainPems: [...signer.chainPems, stranger.certPem] });
    expect(failed(await verifyCertificate(json, sig, pki.caCertPem))).toEqual(['chain']);
  });

  it('verifies 200 certificates in a row with one cached CA', async () => {
    let ok = 0;
    for (let i = 0; i < 200; i++) if ((await verifyCertificate(json, p7s, pki.caCertPem)).ok) ok++;
    expect(ok).toBe(200);
  });
});

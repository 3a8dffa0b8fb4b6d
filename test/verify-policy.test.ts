import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { signCertificate } from '../wipe/certificate/sign.js';
import { verifyCertificate, type VerificationReport } from '../wipe/verify/verify.js';
import { opensslAccepts } from './helpers/openssl-cms.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import {
  caProfile,
  forgeSign,
  issue,
  signerProfile,
  unknownCriticalExtension,
  type Party,
} from './helpers/weak-pki.js';

/**
 * The verifier's policy, rule by rule: for each, a certificate correctly signed through a chain
 * that breaks exactly that rule. Each must fail `verify` under the rule's name with a one-line
 * reason; openssl gives its opinion where its default policy covers the rule.
 */

let dir: string;
let root: Party;

function failed(r: VerificationReport): string[] {
  return r.checks.filter((c) => !c.ok).map((c) => c.name);
}

function detail(r: VerificationReport, name: string): string {
  return r.checks.find((c) => c.name === name)?.detail ?? '';
}

function certifiedBy(s: Party): Buffer {
  return canonicalBytes(buildCertificate(sampleIssuedNow(technicianFromCertificate(s.certPem))));
}

/** Signs a fresh certificate as `s`, carrying `chain` (intermediates), with posdecom's signer. */
function signedBy(s: Party, chain: Party[] = []) {
  const json = certifiedBy(s);
  const p7s = signCertificate(json, {
    keyObject: s.key,
    certPem: s.certPem,
    chainPems: chain.map((c) => c.certPem),
  });
  return { json, p7s };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-policy-'));
  root = issue({ name: 'Policy Root CA', extensions: caProfile() });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('the verifier holds its ground', () => {
  it('accepts a well-formed chain built the same way (so the failures below come from the defects)', async () => {
    const s = issue({ name: 'Good Signer', issuer: root, extensions: signerProfile() });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toEqual([]);
    expect((await opensslAccepts(dir, json, p7s, root.certPem)).ok).toBe(true);
  });

  it('refuses a 512-bit RSA signer under key-strength', async () => {
    const s = issue({ name: 'Tiny Key', issuer: root, bits: 512, extensions: signerProfile() });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toEqual(['key-strength']);
    expect(detail(r, 'key-strength')).toBe('Tiny Key has a 512-bit RSA key (at least 2048 required)');
  });

  it('refuses a 1024-bit RSA CA anywhere on the path', async () => {
    const weakRoot = issue({ name: 'Weak Root', bits: 1024, extensions: caProfile() });
    const s = issue({ name: 'Signer Under Weak Root', issuer: weakRoot, extensions: signerProfile() });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, weakRoot.certPem);
    expect(failed(r)).toEqual(['key-strength']);
    expect(detail(r, 'key-strength')).toMatch(/^Weak Root has a 1024-bit RSA key/);
  });

  it('refuses a signer certificate signed with SHA-1 under algorithms', async () => {
    const s = issue({ name: 'SHA1 Signer', issuer: root, digest: 'sha1', extensions: signerProfile() });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toContain('algorithms');
    expect(detail(r, 'algorithms')).toBe(
      'SHA1 Signer: signed with sha1WithRSAEncryption (SHA-1 is not accepted)',
    );
  });

  it('refuses a signer certificate signed with MD5 under algorithms', async () => {
    const s = issue({ name: 'MD5 Signer', issuer: root, digest: 'md5', extensions: signerProfile() });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toContain('algorithms');
    expect(detail(r, 'algorithms')).toBe(
      'MD5 Signer: signed with md5WithRSAEncryption (MD5 is not accepted)',
    );
  });

  it('refuses a CA self-signed with SHA-1', async () => {
    const oldRoot = issue({ name: 'SHA1 Root', digest: 'sha1', extensions: caProfile() });
    const s = issue({ name: 'Signer Under SHA1 Root', issuer: oldRoot, extensions: signerProfile() });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, oldRoot.certPem);
    expect(failed(r)).toEqual(['algorithms']);
    expect(detail(r, 'algorithms')).toMatch(/^SHA1 Root: signed with sha1WithRSAEncryption/);
  });

  it('refuses a CMS signature whose digest is SHA-1 under algorithms', async () => {
    const s = issue({ name: 'SHA1 CMS Signer', issuer: root, extensions: signerProfile() });
    const json = certifiedBy(s);
    const p7s = forgeSign(json, s, [], 'sha1');
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toEqual(['algorithms']);
    expect(detail(r, 'algorithms')).toBe("the signature's digest: SHA-1 is not accepted");
  });

  it('refuses a chain that breaks a CA path-length limit under ca-constraints, as openssl does', async () => {
    const limited = issue({ name: 'Limited Root', extensions: caProfile({ pathLen: 0 }) });
    const sub = issue({ name: 'Sub CA', issuer: limited, extensions: caProfile() });
    const s = issue({ name: 'Too Deep Signer', issuer: sub, extensions: signerProfile() });
    const { json, p7s } = signedBy(s, [sub]);
    const r = await verifyCertificate(json, p7s, limited.certPem);
    expect(failed(r)).toEqual(['ca-constraints']);
    expect(detail(r, 'ca-constraints')).toBe(
      'Limited Root allows 0 CA(s) below it (pathLenConstraint) but the path has 1',
    );
    expect((await opensslAccepts(dir, json, p7s, limited.certPem)).ok).toBe(false);
  });

  it('accepts the same depth when the path length allows it', async () => {
    const roomy = issue({ name: 'Roomy Root', extensions: caProfile({ pathLen: 1 }) });
    const sub = issue({ name: 'Roomy Sub CA', issuer: roomy, extensions: caProfile({ pathLen: 0 }) });
    const s = issue({ name: 'Deep Enough Signer', issuer: sub, extensions: signerProfile() });
    const { json, p7s } = signedBy(s, [sub]);
    expect(failed(await verifyCertificate(json, p7s, roomy.certPem))).toEqual([]);
  });

  it('refuses an intermediate CA without keyCertSign under ca-constraints, as openssl does', async () => {
    const sub = issue({
      name: 'No Cert Sign CA',
      issuer: root,
      extensions: caProfile({ keyUsage: { cRLSign: true } }),
    });
    const s = issue({ name: 'Signer Of A Non Signer', issuer: sub, extensions: signerProfile() });
    const { json, p7s } = signedBy(s, [sub]);
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toContain('ca-constraints');
    expect(detail(r, 'ca-constraints')).toContain(
      'No Cert Sign CA may not sign certificates (no keyCertSign)',
    );
    expect((await opensslAccepts(dir, json, p7s, root.certPem)).ok).toBe(false);
  });

  it('refuses a signer with an unknown critical extension under critical-extensions, as openssl does', async () => {
    const s = issue({
      name: 'Critical Signer',
      issuer: root,
      extensions: [...signerProfile(), unknownCriticalExtension()],
    });
    const { json, p7s } = signedBy(s);
    const r = await verifyCertificate(json, p7s, root.certPem);
    expect(failed(r)).toEqual(['critical-extensions']);
    expect(detail(r, 'critical-extensions')).toBe(
      'Critical Signer has an unknown critical extension 1.3.6.1.4.1.55555.1.1',
    );
    expect((await opensslAccepts(dir, json, p7s, root.certPem)).ok).toBe(false);
  });
});

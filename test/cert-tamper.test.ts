import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { Tag, children, expectTag, readTlv, type Tlv } from '../wipe/pki/der.js';
import { loadSigner, signCertificate, type Signer } from '../wipe/certificate/sign.js';
import { verifyCertificate, type VerificationReport } from '../wipe/verify/verify.js';

/**
 * Tampering: any change to either file must fail verification. posdecom's verifier is held to
 * every byte of both files. openssl is held to every sampled byte of the JSON and to the bytes
 * of the signature file that a signature covers or that name the signer; it does not look at
 * some unsigned fields (the SignedData and SignerInfo versions, AlgorithmIdentifier NULLs and the
 * eContentType; the trust anchor is not carried in the file), which is one reason posdecom verify exists.
 */

let dir: string;
let pki: OrganisationPki;
let signer: Signer;
let json: Buffer;
let p7s: Buffer;

function opensslAccepts(jsonBytes: Uint8Array, sig: Uint8Array): Promise<boolean> {
  return (async () => {
    await writeFile(join(dir, 'c.json'), jsonBytes);
    await writeFile(join(dir, 'c.p7s'), sig);
    const r = spawnSync(
      'openssl',
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'c.p7s',
        '-content',
        'c.json',
        '-CAfile',
        pki.caCertPath,
        '-out',
        '/dev/null',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    if (r.error) throw r.error;
    return r.status === 0;
  })();
}

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

function failedChecks(r: VerificationReport): string[] {
  return r.checks.filter((c) => !c.ok).map((c) => c.name);
}

/** Byte ranges of the .p7s that a signature covers or that identify the signer. */
function signedRegions(der: Buffer): Array<[number, number]> {
  const sd = children(der, children(der, children(der, readTlv(der, 0))[1] as Tlv)[0] as Tlv);
  const certs = children(der, expectTag(sd[3], 0xa0, 'certificates'));
  const signerInfo = children(der, expectTag(sd[4], Tag.Set, 'signerInfos'))[0] as Tlv;
  const [, sid, , attrs, , signature] = children(der, signerInfo);
  const region = (t: Tlv | undefined): [number, number] => [t?.start ?? 0, t?.end ?? 0];
  return [region(certs[0]), region(sid), region(attrs), region(signature)];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cert-tamper-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: 'tamper test',
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
  signer = await loadSigner(join(dir, 'pki'), 'tamper test');
  // Every byte is flipped and verified in turn: the sample's bulkiest evidence is left out, so
  // the loop stays within its time on a loaded machine (the erase evidence the rules read stays).
  const input = sampleIssuedNow(technicianFromCertificate(signer.certPem));
  for (const s of input.steps) {
    if (['inventory', 'finalize', 'backup'].includes(s.step)) s.evidence = { confirmedBy: 'STATUS' };
    if (s.step === 'erase-verification') s.evidence = { verification: 'full', readBack: true, samples: 64 };
  }
  json = canonicalBytes(buildCertificate(input));
  p7s = signCertificate(json, signer);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('tampering with certificate.json', () => {
  it('fails posdecom verify for a flip of any byte', { timeout: 180_000 }, async () => {
    for (let i = 0; i < json.length; i++) {
      const r = await verifyCertificate(flipped(json, i), p7s, pki.caCertPem);
      expect(r.ok, `byte ${i}`).toBe(false);
      expect(failedChecks(r), `byte ${i}`).toContain('message-digest');
    }
  });

  it('fails openssl for a flip of every 97th byte and of the first and last', async () => {
    const positions = [0, json.length - 1];
    for (let i = 97; i < json.length - 1; i += 97) positions.push(i);
    for (const i of positions) expect(await opensslAccepts(flipped(json, i), p7s), `byte ${i}`).toBe(false);
  });

  it('is still accepted untouched by both (the flips, not the set-up, cause the failures)', async () => {
    expect((await verifyCertificate(json, p7s, pki.caCertPem)).ok).toBe(true);
    expect(await opensslAccepts(json, p7s)).toBe(true);
  });
});

describe('tampering with certificate.p7s', () => {
  it('fails posdecom verify for a flip of any byte', async () => {
    for (let i = 0; i < p7s.length; i++) {
      expect((await verifyCertificate(json, flipped(p7s, i), pki.caCertPem)).ok, `byte ${i}`).toBe(false);
    }
  });

  it('fails both verifiers for flips across the signer certificate, signer identifier, signed attributes and signature', async () => {
    const positions = new Set([0, p7s.length - 1]);
    for (const [start, end] of signedRegions(p7s)) {
      positions.add(start);
      positions.add(end - 1);
      for (let i = start; i < end; i += 23) positions.add(i);
    }
    expect(positions.size).toBeGreaterThan(50);
    for (const i of positions) {
      const bad = flipped(p7s, i);
      expect((await verifyCertificate(json, bad, pki.caCertPem)).ok, `byte ${i}`).toBe(false);
      expect(await opensslAccepts(json, bad), `byte ${i}`).toBe(false);
    }
  });

  it('fails posdecom verify for a truncated or extended file', async () => {
    expect((await verifyCertificate(json, p7s.subarray(0, p7s.length - 1), pki.caCertPem)).ok).toBe(false);
    expect((await verifyCertificate(json, Buffer.concat([p7s, Buffer.from([0])]), pki.caCertPem)).ok).toBe(
      false,
    );
    expect((await verifyCertificate(json, Buffer.alloc(0), pki.caCertPem)).ok).toBe(false);
  });
});

describe('a correctly signed certificate that contradicts itself', () => {
  function resigned(edit: (c: WipeCertificate) => void): { bytes: Buffer; sig: Buffer } {
    const c = JSON.parse(json.toString('utf8')) as WipeCertificate;
    edit(c);
    const bytes = canonicalBytes(c);
    return { bytes, sig: signCertificate(bytes, signer) };
  }

  it('fails the internal rules when a step is PASS without evidence', async () => {
    const { bytes, sig } = resigned((c) => {
      const step = c.steps.find((s) => s.step === 'network-down');
      if (step) step.evidence = {};
    });
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    expect(failedChecks(r)).toEqual(['internal-rules']);
    expect(r.checks.find((c) => c.name === 'internal-rules')?.detail).toContain(
      'network-down is PASS without evidence',
    );
    expect(await opensslAccepts(bytes, sig)).toBe(true); // a signature says who, not whether it is true
  });

  it('fails the internal rules when the overall result is PASS while a step is UNKNOWN', async () => {
    const { bytes, sig } = resigned((c) => {
      const step = c.steps.find((s) => s.step === 'unbind');
      if (step) step.result = 'UNKNOWN';
    });
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    expect(failedChecks(r)).toEqual(['internal-rules']);
    expect(r.checks.find((c) => c.name === 'internal-rules')?.detail).toContain(
      'overall result is PASS but the steps give INCOMPLETE',
    );
  });

  it('fails the internal rules when the overall result is PASS while a step is ATTESTED', async () => {
    const { bytes, sig } = resigned((c) => {
      const step = c.steps.find((s) => s.step === 'key-zeroization');
      if (!step) return;
      step.result = 'ATTESTED';
      step.attestation = { statement: 'keys zeroized in the PIN pad menu', time: step.endedAt, evidence: [] };
    });
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    expect(failedChecks(r)).toEqual(['internal-rules']);
    const detail = r.checks.find((c) => c.name === 'internal-rules')?.detail;
    expect(detail).toContain('overall result is PASS but the steps give INCOMPLETE');
    expect(detail).toContain('overall PASS although a step is not a measured PASS');
  });

  it('fails an ATTESTED step without the technician’s statement and time', async () => {
    const missing = resigned((c) => {
      const step = c.steps.find((s) => s.step === 'unbind');
      if (step) step.result = 'ATTESTED';
    });
    const r1 = await verifyCertificate(missing.bytes, missing.sig, pki.caCertPem);
    expect(failedChecks(r1)).toContain('schema');
    expect(r1.checks.find((c) => c.name === 'schema')?.detail).toContain(
      "must have required property 'attestation'",
    );
    const blank = resigned((c) => {
      const step = c.steps.find((s) => s.step === 'unbind');
      if (!step) return;
      step.result = 'ATTESTED';
      step.attestation = { statement: '   ', time: step.endedAt, evidence: [] };
      c.overall = {
        result: 'INCOMPLETE',
        reasons: ["unbind: ATTESTED without the technician's statement and time"],
        findings: [],
      };
    });
    const r2 = await verifyCertificate(blank.bytes, blank.sig, pki.caCertPem);
    expect(failedChecks(r2)).toEqual(['internal-rules']);
    expect(r2.checks.find((c) => c.name === 'internal-rules')?.detail).toContain(
      "unbind is ATTESTED without the technician's statement and time",
    );
  });

  it('fails the internal rules when the sanitization summary claims Purge the steps do not support', async () => {
    const { bytes, sig } = resigned((c) => {
      const step = c.steps.find((s) => s.step === 'erase-verification');
      if (step) step.evidence = { verification: 'sampling', readBack: false };
    });
    expect(failedChecks(await verifyCertificate(bytes, sig, pki.caCertPem))).toEqual(['internal-rules']);
  });

  it('fails the schema and canonical-form checks for a pretty-printed copy, even when re-signed', async () => {
    const c = JSON.parse(json.toString('utf8')) as WipeCertificate;
    const pretty = Buffer.from(JSON.stringify(c, null, 2));
    const r = await verifyCertificate(pretty, signCertificate(pretty, signer), pki.caCertPem);
    expect(failedChecks(r)).toEqual(['canonical-form']);
  });

  it('fails the schema for an added field', async () => {
    const { bytes, sig } = resigned((c) => Object.assign(c, { extra: true }));
    const r = await verifyCertificate(bytes, sig, pki.caCertPem);
    // The rules and the signer's identity are judged only on a document that matches the schema.
    expect(failedChecks(r)).toEqual(['signing-time', 'signer-identity', 'schema', 'internal-rules']);
    expect(r.checks.find((c) => c.name === 'internal-rules')?.detail).toBe(
      'not checked: the JSON does not match the schema',
    );
  });

  it('reports, rather than throws on, a signed JSON that canonical JSON cannot represent', async () => {
    const bytes = Buffer.from(json.toString('utf8').replace('"Jane Doe"', '"Jane \\ud800Doe"'));
    const r = await verifyCertificate(bytes, signCertificate(bytes, signer), pki.caCertPem);
    expect(failedChecks(r)).toEqual(['canonical-form', 'internal-rules']);
  });

  it('fails signer-identity when performedBy names someone other than the signer', async () => {
    const { bytes, sig } = resigned(
      (c) => (c.performedBy.signerSubject = 'CN=Someone Else, O=Example Retail'),
    );
    expect(failedChecks(await verifyCertificate(bytes, sig, pki.caCertPem))).toEqual(['signer-identity']);
  });
});

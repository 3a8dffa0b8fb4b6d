import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { CERTIFICATE_FILES, writeCertificateFiles } from '../wipe/certificate/files.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { pdfText } from '../wipe/certificate/pdf/layout.js';
import { renderCertificatePdf } from '../wipe/certificate/pdf/render.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { loadSigner, type Signer } from '../wipe/certificate/sign.js';
import { verifyCertificate } from '../wipe/verify/verify.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let pki: OrganisationPki;
let signer: Signer;
let certificate: WipeCertificate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cert-files-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: 'files test',
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
  signer = await loadSigner(join(dir, 'pki'), 'files test');
  certificate = buildCertificate(sampleIssuedNow(technicianFromCertificate(signer.certPem)));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('writeCertificateFiles', () => {
  it('writes certificate.json (canonical), certificate.p7s and certificate.pdf and returns their digests', async () => {
    const out = join(dir, 'job');
    const files = await writeCertificateFiles(out, certificate, signer);
    expect((await readdir(out)).sort()).toEqual([
      CERTIFICATE_FILES.json,
      CERTIFICATE_FILES.signature,
      CERTIFICATE_FILES.pdf,
    ]);
    const json = await readFile(files.json.path);
    const p7s = await readFile(files.signature.path);
    const pdf = await readFile(files.pdf.path);
    expect(json.equals(canonicalBytes(certificate))).toBe(true);
    expect([sha256(json), sha256(p7s), sha256(pdf)]).toEqual([
      files.json.sha256,
      files.signature.sha256,
      files.pdf.sha256,
    ]);
    const report = await verifyCertificate(json, p7s, pki.caCertPem);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('replaces an earlier set in place and leaves no temporary files', async () => {
    const out = join(dir, 'again');
    await writeCertificateFiles(out, certificate, signer);
    const second = await writeCertificateFiles(out, certificate, signer);
    expect(await readdir(out)).toHaveLength(3);
    expect(sha256(await readFile(second.signature.path))).toBe(second.signature.sha256);
  });

  it('refuses a certificate that does not match the schema before writing anything', async () => {
    const out = join(dir, 'invalid');
    const bad = { ...certificate, overall: { result: 'GREAT', reasons: [] } } as unknown as WipeCertificate;
    await expect(writeCertificateFiles(out, bad, signer)).rejects.toThrow(/schema/);
    await expect(readdir(out)).rejects.toThrow();
  });
});

describe('the PDF', () => {
  it('is a PDF/A-2b style file with an embedded QR image and only embedded fonts', async () => {
    const pdf = (await renderCertificatePdf(certificate, 'ab'.repeat(32))).toString('latin1');
    expect(pdf.startsWith('%PDF-1.7')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(pdf).toMatch(/\/Subtype \/Image/);
    expect(pdf).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold/);
    expect(pdf).toMatch(/\/FontFile2/);
    expect(pdf).not.toMatch(/\/BaseFont \/(Helvetica|Times|Courier)/);
    expect(pdf).toMatch(/<pdfaid:part>2<\/pdfaid:part>/);
    expect(pdf).toMatch(/\/OutputIntents/);
    expect(pdf.match(/\/Type \/Page\b/g)?.length ?? 0).toBeGreaterThanOrEqual(1);
  });

  it('renders a failed certificate with many reasons', async () => {
    const input = sampleIssuedNow(technicianFromCertificate(signer.certPem));
    for (const s of input.steps) s.result = 'FAIL';
    const failed = buildCertificate(input);
    expect(failed.overall.reasons.length).toBeGreaterThan(8);
    const pdf = await renderCertificatePdf(failed, 'cd'.repeat(32));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('keeps every character the embedded font has, and turns control characters into spaces', () => {
    expect(pdfText('Jürgen Müller – 10 €')).toBe('Jürgen Müller – 10 €');
    expect(pdfText('Łódź ✓')).toBe('Łódź ✓');
    expect(pdfText('a\u0000b\nc\u001bd')).toBe('a b c d');
  });
});

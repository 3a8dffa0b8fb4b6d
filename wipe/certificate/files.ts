import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { canonicalBytes } from './canonical-json.js';
import type { WipeCertificate } from './model.js';
import { assertSchema } from './schema.js';
import { writeFileAtomic } from '../pki/fs.js';
import { signCertificate, type Signer } from './sign.js';

/**
 * The three certificate files of a job directory. certificate.json holds the canonical bytes
 * that certificate.p7s signs; certificate.pdf is the readable copy, carrying the JSON's digest
 * in its QR code. Everything is rendered and signed before the first file is written, and each
 * file is written atomically, so a crash never leaves a signature for a JSON that is not there.
 */

export const CERTIFICATE_FILES = {
  json: 'certificate.json',
  signature: 'certificate.p7s',
  pdf: 'certificate.pdf',
} as const;

export interface WrittenFile {
  path: string;
  sha256: string;
}

export interface CertificateFiles {
  json: WrittenFile;
  signature: WrittenFile;
  pdf: WrittenFile;
}

export async function writeCertificateFiles(
  dir: string,
  certificate: WipeCertificate,
  signer: Signer,
): Promise<CertificateFiles> {
  assertSchema(certificate);
  const json = canonicalBytes(certificate);
  const jsonSha256 = sha256(json);
  const p7s = signCertificate(json, signer);
  // pdfkit takes a third of a second to load: only the run that issues a certificate pays it.
  const { renderCertificatePdf } = await import('./pdf/render.js');
  const pdf = await renderCertificatePdf(certificate, jsonSha256);
  const out = (name: string, bytes: Buffer, digest = sha256(bytes)) => ({
    path: join(dir, name),
    bytes,
    sha256: digest,
  });
  const files = {
    json: out(CERTIFICATE_FILES.json, json, jsonSha256),
    signature: out(CERTIFICATE_FILES.signature, p7s),
    pdf: out(CERTIFICATE_FILES.pdf, pdf),
  };
  // JSON first, signature after: a reader never finds a signature without its content.
  for (const f of [files.json, files.signature, files.pdf]) await writeFileAtomic(f.path, f.bytes);
  const written = (f: { path: string; sha256: string }): WrittenFile => ({ path: f.path, sha256: f.sha256 });
  return { json: written(files.json), signature: written(files.signature), pdf: written(files.pdf) };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

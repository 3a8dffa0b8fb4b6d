import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fail } from './check.js';
import { MAX_CERTIFICATE_JSON_BYTES, MAX_SIGNATURE_BYTES, readBounded } from './read-bounded.js';
import type { Trust } from './trust.js';
import { verifyCertificate, type VerificationReport } from './verify.js';

/**
 * One job directory as an auditor or the estate report (`posdecom report`) receives it:
 * certificate.json and certificate.p7s, perhaps validation.json/.p7s, journal.jsonl, audit.log
 * and backup/. Whatever is wrong with the files is a failed check in the report, never a throw,
 * so one bad directory among thousands is a row, not a stop. The Trust (CA, CRL) is read once
 * by the caller with loadTrust, where a bad CA or CRL is the caller's one usage error. The
 * certificate and its signature are read bounded (read-bounded.ts): an oversized file is a
 * failed `files` check, never a read of gigabytes.
 */

export interface JobFiles {
  /** The job directory: bound files and any validation are looked for here. */
  dir: string;
  /** Default: DIR/certificate.json. */
  certificate?: string;
  /** Default: DIR/certificate.p7s. */
  signature?: string;
  /** Also check the backup in this directory (or its backup/). */
  backupDir?: string;
}

export async function verifyJob(files: JobFiles, trust: Trust, now?: Date): Promise<VerificationReport> {
  const certPath = files.certificate ?? join(files.dir, 'certificate.json');
  const sigPath = files.signature ?? join(files.dir, 'certificate.p7s');
  const unreadable: string[] = [];
  const read = async (path: string, limit: number) => {
    const r = await readBounded(path, limit);
    if ('bytes' in r) return r.bytes;
    unreadable.push('missing' in r ? `cannot read ${path}: no such file` : r.problem);
    return undefined;
  };
  const json = await read(certPath, MAX_CERTIFICATE_JSON_BYTES);
  const p7s = await read(sigPath, MAX_SIGNATURE_BYTES);
  const certificateSha256 = json ? createHash('sha256').update(json).digest('hex') : undefined;
  const withDigest = (r: VerificationReport): VerificationReport =>
    certificateSha256 ? { ...r, certificateSha256 } : r;
  if (!json) return withDigest({ ok: false, checks: [fail('files', unreadable.join('; '))] });
  // Without its signature the JSON is still read, so a report can say which terminal it names.
  const missing = unreadable.length > 0 ? [fail('files', unreadable.join('; '))] : [];
  try {
    const report = await verifyCertificate(json, p7s ?? new Uint8Array(0), trust, {
      jobDir: files.dir,
      ...(files.backupDir !== undefined ? { backupDir: files.backupDir } : {}),
      ...(now ? { now } : {}),
    });
    return withDigest({
      ...report,
      ok: report.ok && missing.length === 0,
      checks: [...missing, ...report.checks],
    });
  } catch (err) {
    return withDigest({
      ok: false,
      checks: [fail('files', `cannot be verified: ${(err as Error).message}`)],
    });
  }
}

import { createHash } from 'node:crypto';
import { access, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CERTIFICATE_FILES } from '../certificate/files.js';
import type { AnyWipeCertificate } from '../certificate/schema.js';
import { fail, type Check } from '../verify/signature.js';
import { verifyCertificate } from '../verify/verify.js';
import { readError, type JobRef } from './discover.js';

/**
 * The one place `report` meets the verifier: a job directory in, named checks out, never a
 * throw for bad input. Everything else in this room works on what this returns, so when the
 * verifier learns more (revocation lists, a second person's validation) only this file changes.
 *
 *   job dir --read--> certificate.json, certificate.p7s --verifyCertificate--> checks
 *           --backup/manifest.json present?--> the backup check as `verify --backup` runs it
 */

export interface Trust {
  /** The organisation CA (PEM) every certificate must chain to. */
  caPem: string;
}

/** The second person's confirmation (NIST SP 800-88 rev.2 s.4.5), when the job carries one. */
export interface ValidationSummary {
  validator: string;
  outcome: string;
  time: string;
}

export interface JobVerification {
  ok: boolean;
  /** Every check by name; `files` comes first when an input could not be read. */
  checks: Check[];
  /** Present when the JSON matches the schema, whether or not the signature holds. */
  certificate?: AnyWipeCertificate;
  validation?: ValidationSummary;
  /** sha256 (hex) of certificate.json as read. */
  certificateSha256?: string;
}

/** Far above any real certificate (tens of KB); a larger file is not one, and is not read. */
const MAX_JSON_BYTES = 2 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 1024 * 1024;

export async function verifyJobDirectory(job: JobRef, trust: Trust): Promise<JobVerification> {
  const problems: string[] = [];
  const json = await readBounded(join(job.dir, CERTIFICATE_FILES.json), MAX_JSON_BYTES, problems);
  const p7s = await readBounded(join(job.dir, CERTIFICATE_FILES.signature), MAX_SIGNATURE_BYTES, problems);
  const manifest = job.hasBackupDir ? join(job.dir, 'backup', 'manifest.json') : undefined;
  const withBackup =
    manifest !== undefined &&
    (await access(manifest).then(
      () => true,
      () => false,
    ));
  const report = await verifyCertificate(json ?? new Uint8Array(0), p7s ?? new Uint8Array(0), trust.caPem, {
    ...(withBackup ? { backupDir: job.dir } : {}),
  });
  const checks = problems.length > 0 ? [fail('files', problems.join('; ')), ...report.checks] : report.checks;
  return {
    ok: report.ok && problems.length === 0,
    checks,
    ...(report.certificate ? { certificate: report.certificate } : {}),
    ...(json ? { certificateSha256: createHash('sha256').update(json).digest('hex') } : {}),
  };
}

/** Reads a whole file of at most `limit` bytes; a problem is described, not thrown. */
async function readBounded(path: string, limit: number, problems: string[]): Promise<Buffer | undefined> {
  const name = basename(path);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    problems.push(`${name}: ${readError(err)}`);
    return undefined;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      problems.push(`${name}: not a regular file`);
      return undefined;
    }
    if (st.size > limit) {
      problems.push(`${name}: ${st.size} bytes, more than a certificate can be (${limit})`);
      return undefined;
    }
    return await handle.readFile();
  } catch (err) {
    problems.push(`${name}: ${readError(err)}`);
    return undefined;
  } finally {
    await handle.close();
  }
}

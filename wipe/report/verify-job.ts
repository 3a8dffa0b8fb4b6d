import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyJob } from '../verify/job.js';
import { loadTrust, type Trust, type VerificationReport } from '../verify/verify.js';
import type { JobRef } from './discover.js';

/**
 * The one place `report` meets the verifier: a job directory in, the report `verify` would give
 * out (wipe/verify/job.ts: every check by name, the validation, the certificate's digest), never
 * a throw for bad input. Everything else in this room works on what this returns.
 *
 *   job dir --verifyJob (bounded reads, signature, path, policy, CRL, rules, bound files,
 *           validation)--> checks  --backup/manifest.json present?--> + the backup check
 *
 * A Trust holds parsed pkijs objects, which cannot cross to a worker thread; what crosses is the
 * CA and CRL as bytes (TrustSource), and each thread calls loadTrust once.
 */

export interface TrustSource {
  /** The organisation CA (PEM) every certificate must chain to. */
  caPem: string;
  /** The CA's CRL (PEM or DER), when `--crl` was given. */
  crl?: Uint8Array;
}

export type JobVerification = VerificationReport;

/** Throws a one-line usage error for a CA or CRL that cannot be used (loadTrust). */
export function trustFrom(source: TrustSource): Promise<Trust> {
  return loadTrust(source.caPem, source.crl !== undefined ? { crl: source.crl } : {});
}

export async function verifyJobDirectory(job: JobRef, trust: Trust): Promise<JobVerification> {
  const manifest = job.hasBackupDir ? join(job.dir, 'backup', 'manifest.json') : undefined;
  const withBackup =
    manifest !== undefined &&
    (await access(manifest).then(
      () => true,
      () => false,
    ));
  return verifyJob({ dir: job.dir, ...(withBackup ? { backupDir: job.dir } : {}) }, trust);
}

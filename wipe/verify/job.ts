import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fail } from './check.js';
import type { Trust } from './trust.js';
import { verifyCertificate, type VerificationReport } from './verify.js';

/**
 * One job directory as an auditor or the estate report (`posdecom report`) receives it:
 * certificate.json and certificate.p7s, perhaps validation.json/.p7s, journal.jsonl, audit.log
 * and backup/. Whatever is wrong with the files is a failed check in the report, never a throw,
 * so one bad directory among thousands is a row, not a stop. The Trust (CA, CRL) is read once
 * by the caller with loadTrust, where a bad CA or CRL is the caller's one usage error.
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
  const read = (path: string) =>
    readFile(path).catch((err: NodeJS.ErrnoException) => {
      unreadable.push(
        `cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`,
      );
      return undefined;
    });
  const json = await read(certPath);
  const p7s = await read(sigPath);
  if (!json || !p7s) return { ok: false, checks: [fail('files', unreadable.join('; '))] };
  try {
    return await verifyCertificate(json, p7s, trust, {
      jobDir: files.dir,
      ...(files.backupDir !== undefined ? { backupDir: files.backupDir } : {}),
      ...(now ? { now } : {}),
    });
  } catch (err) {
    return { ok: false, checks: [fail('files', `cannot be verified: ${(err as Error).message}`)] };
  }
}

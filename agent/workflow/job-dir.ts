import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { JOURNAL_FILE, Journal } from '../journal.js';

/**
 * One job per output directory: a fresh run refuses a directory that holds a job (finished or
 * not), and --resume refuses one that holds none.
 */
export function prepareJobDir(dir: string, resume: boolean, dryRun: boolean): void {
  const journalThere = existsSync(join(dir, JOURNAL_FILE));
  if (resume && !journalThere) {
    throw new PosdecomError(ErrorCode.UsageInvalid, `--resume: ${dir} holds no job to resume`);
  }
  if (!resume && !dryRun && journalThere) {
    throw new PosdecomError(
      ErrorCode.WorkflowUnfinishedJob,
      isFinished(dir)
        ? `${dir} holds a finished job; choose another --out`
        : `${dir} holds an unfinished job; continue it with --resume (or choose another --out)`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PosdecomError(
      ErrorCode.BackupOutputUnusable,
      `cannot create ${dir}: ${(err as Error).message}`,
    );
  }
}

/**
 * A completed job's journal ends with the final certificate's result (nothing follows it; a
 * journal from before that line was written ends with its intent), and the certificate is
 * there: one whose files could not be written is written by --resume.
 */
function isFinished(dir: string): boolean {
  const entries = Journal.read(join(dir, JOURNAL_FILE));
  const last = entries[entries.length - 1];
  return (
    existsSync(join(dir, 'certificate.json')) &&
    (last?.type === 'result' || last?.type === 'intent') &&
    last.step === 'certificate' &&
    last.data?.final === true
  );
}

/**
 * A resumed job keeps the backup recipient it started with (its fingerprint is in the journal's
 * first entry): parts already written are encrypted to it, and a backup split between two
 * recipients is one nobody can restore whole. Checked before the terminal is touched (exit 6).
 */
export function sameRecipientAsJournal(dir: string, recipientSha256: string): void {
  const job = Journal.read(join(dir, JOURNAL_FILE)).find((e) => e.type === 'job');
  const was = job?.data?.recipientSha256;
  if (typeof was === 'string' && was !== recipientSha256) {
    throw new PosdecomError(
      ErrorCode.WorkflowPrecondition,
      `${dir} was started with another backup recipient (certificate SHA-256 ${was.slice(0, 16)}...); resume with the same --backup-recipient`,
    );
  }
}

import type { StoreInfo } from '../../../protocol/domain.js';
import type { BackupSet } from '../../../wipe/backup/backup-set.js';
import { firstReadPathFor } from '../../../wipe/backup/first-read-checkpoint.js';
import { readDigest } from '../../../wipe/backup/read-digest.js';
import { RESUME_STATE_LABEL } from '../../../wipe/backup/resume-state.js';
import { backupFileName } from '../../../wipe/backup/safe-name.js';
import type { JournalEntry } from '../../journal.js';
import type { JobContext, StepOutcome } from '../context.js';
import { backupOne } from './backup.js';
import { MAX_BACKUPS_PER_STORE } from './erase.js';
import { omitBackup } from './omit.js';
import { NOT_MEASURED } from './not-possible.js';
import { record } from './records.js';

/**
 * The backup step for any driver. Where the terminal reports each store's digest (line), that
 * digest is what the backup must match. Where it reports none (ZVT), the rule "never erase a
 * store before its backup is on disk and its digest matches the terminal's" is kept the only way
 * the protocol allows: the store is read twice, and the two reads must agree.
 *
 *   1st read: the whole file, hashed only (SHA-256 journaled, so a resumed job does not repeat it)
 *   2nd read: the backup itself, encrypted to disk, which must hash the same
 *
 * Each read also checks the announced size (TLV 1F00) and that every block starts where the
 * last ended (protocol/zvt/ecr/read-file.ts). A store that reads differently twice is FAIL and
 * is never deleted. At 9600 baud 8N2 (872.7 B/s) every read costs about 20 minutes a megabyte.
 * A store the terminal does not give out at all (ZVT `84 83`) stays where it is, UNKNOWN.
 */
export async function backupStep(ctx: JobContext, set: BackupSet, storeName: string): Promise<StepOutcome> {
  const listed = ctx.inventory().stores.find((s) => s.name === storeName)!;
  if (listed.readable === false) return unreadable(ctx, storeName);
  if (ctx.driver().capabilities.storeDigests) return backupOne(ctx, set, storeName);
  let outcome: StepOutcome;
  for (let reads = 1; ; reads++) {
    // As last listed: a file may have grown since the inventory (a terminal's log keeps logging).
    const current = ctx.storeList.latest.find((s) => s.name === storeName) ?? listed;
    outcome = await backupOne(ctx, set, storeName, await withReadDigest(ctx, current));
    if (outcome.outcome !== 'changed') break;
    // Its size changed between the two reads: the first read's digest is of other bytes.
    if (reads >= MAX_BACKUPS_PER_STORE) {
      outcome = { ...outcome, outcome: 'failed' };
      break;
    }
    ctx.reporter.warn(`${storeName} changed size between its two reads; reading it twice again`);
    ctx.journal.append('note', { data: { event: 'store-changed-between-reads', store: storeName, reads } });
  }
  const digestSource =
    'the first of two full reads (the terminal reports no digest; the backup is the second)';
  for (const r of outcome.records) r.evidence = { ...r.evidence, digestSource };
  return outcome;
}

/** --card-data-backup omit for a store: a store the terminal does not give out stays UNKNOWN here too. */
export function omitStep(ctx: JobContext, storeName: string, reason: string): Promise<StepOutcome> {
  const listed = ctx.inventory().stores.find((s) => s.name === storeName)!;
  return listed.readable === false
    ? Promise.resolve(unreadable(ctx, storeName))
    : omitBackup(ctx, storeName, reason);
}

function unreadable(ctx: JobContext, storeName: string): StepOutcome {
  const note = `the terminal does not give this store out (no file access); it is neither backed up nor erased; ${NOT_MEASURED} unless attested`;
  ctx.reporter.warn(`backup of ${storeName}: ${note}`);
  return {
    outcome: 'unknown',
    records: [
      record(
        'backup',
        new Date(),
        NOT_MEASURED,
        { attempted: true, readable: false, protocol: ctx.driver().protocol },
        { target: storeName, note },
      ),
    ],
  };
}

/** The store with the SHA-256 of a first full read: journaled from an earlier run, or read now. */
async function withReadDigest(ctx: JobContext, info: StoreInfo): Promise<StoreInfo> {
  const known = journaledDigest(ctx.journal.entries, info);
  if (known) return { ...info, sha256: known };
  ctx.reporter.info(
    `reading ${info.name} (${info.size} bytes) once for its digest; the backup reads it again`,
  );
  const index = ctx.inventory().stores.findIndex((s) => s.name === info.name);
  const sha256 = await readDigest(ctx.readStore, info, {
    onProgress: (done, total) => ctx.reporter.progress(`read ${info.name} (1 of 2)`, done, total),
    checkpoint: {
      path: firstReadPathFor(ctx.workDir, backupFileName(index + 1, info.name)),
      // The same job secret as the backup's own checkpoint: bytes past a 64-byte boundary sealed.
      stateKey: ctx.fingerprintKey.subkey(RESUME_STATE_LABEL),
      keep: (digest) => {
        ctx.journal.append('note', { data: digestNote(info, digest) });
      },
      onResume: (event) => {
        if ('offset' in event)
          ctx.reporter.info(`continuing the first read of ${info.name} at byte ${event.offset}`);
        else ctx.reporter.warn(`reading ${info.name} from the start: ${event.restartedBecause}`);
        ctx.journal.append('note', { data: { event: 'first-read-resume', store: info.name, ...event } });
      },
    },
  });
  ctx.reporter.endProgress();
  return { ...info, sha256 };
}

/** The journal note that keeps a first read's digest, so a resumed job does not read again. */
export function digestNote(info: StoreInfo, sha256: string): Record<string, unknown> {
  return { event: 'store-digest', store: info.name, size: info.size, sha256, by: 'first full read' };
}

export function journaledDigest(entries: readonly JournalEntry[], info: StoreInfo): string | undefined {
  const found = entries
    .filter((e) => e.type === 'note' && e.data?.event === 'store-digest')
    .map((e) => e.data as { store?: unknown; size?: unknown; sha256?: unknown })
    .findLast((d) => d.store === info.name && d.size === info.size && typeof d.sha256 === 'string');
  return found?.sha256 as string | undefined;
}

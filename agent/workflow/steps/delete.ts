import type { StoreInfo } from '../../../protocol/domain.js';
import type { StepRecord } from '../../../wipe/certificate/model.js';
import type { JobContext, StepOutcome } from '../context.js';
import { MAX_BACKUPS_PER_STORE, notAttempted } from './erase.js';
import { record } from './records.js';

/**
 * Erase by the protocol's own delete command (ZVT Delete File, 08 12), for a driver whose
 * `eraseBy` is `delete`. The machine has already checked that this store's backup is verified.
 * The delete is believed only when a fresh Read File of the store finds it gone (the terminal
 * answers that it has no such file, or a file of no bytes): a terminal that answers Delete File
 * and still gives the bytes out is FAIL. The record names the method `delete`: nothing tells
 * how the medium under the file was overwritten, so it is no more than NIST Clear.
 *
 * Right before the delete the store list is read again, as before an ERASE (erase.ts): a
 * contradiction stops it, and a file that is not the size its backup read (ZVT reports no
 * digest; its size is what can change) is backed up again first, never deleted on an older one.
 */
export async function deleteOne(ctx: JobContext, storeName: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const measures = ctx.driver().capabilities.measures;
  const op = ctx.opId('erase', storeName);
  // A run that died between Delete File and its journaled result may have left the file gone:
  // deleting it again would be refused (no such file), so a resumed erase looks for it first.
  const resumed = earlierIntents(ctx, storeName) > 0;
  const reading = await ctx.storeList.reread(`before the delete of ${storeName}`);
  const listed = reading.stores.find((s) => s.name === storeName);
  if (reading.discrepancies.length > 0)
    return notAttempted(storeName, startedAt, reading.discrepancies.join('; '));
  if (!listed && !resumed)
    return notAttempted(storeName, startedAt, `the terminal no longer offers ${storeName}`);
  const present = listed !== undefined;
  if (listed && !resumed) {
    const changed = changedSinceBackup(ctx, listed, startedAt);
    if (changed) return changed;
  }
  if (present) {
    ctx.reporter.info(`deleting ${storeName} (its backup is verified)`);
    await ctx.withLink(`delete ${storeName}`, (d) => d.deleteStore(op, storeName));
  } else ctx.reporter.info(`${storeName} is gone already (deleted by an earlier run of this job)`);
  const eraseEvidence = {
    method: 'delete',
    passes: 1,
    op,
    confirmedBy: measures.erase,
    ...(present ? {} : { foundGone: 'before Delete File: an earlier run of this job had sent it' }),
  };
  const verifyStarted = new Date();
  const after = await ctx.withLink(`re-read ${storeName}`, (d) =>
    d.listStores([storeName], ctx.storeList.latest),
  );
  const left = after.find((s) => s.name === storeName);
  const remaining = left?.size ?? 0;
  const gone = remaining === 0;
  const check = {
    verification: 'full',
    readBack: true,
    bytesRemaining: remaining,
    found: left ? 'the file is still offered' : 'the terminal has no such file',
    confirmedBy: 'Read File after Delete File',
  };
  const note = `the terminal answered Delete File, but Read File still gives ${remaining} bytes of it`;
  if (gone) ctx.reporter.info(`${storeName} deleted: a fresh Read File finds it gone`);
  else ctx.reporter.warn(`${storeName} NOT deleted: ${note}`);
  return {
    outcome: gone ? 'verified' : 'failed',
    records: [
      record('erase', startedAt, gone ? 'PASS' : 'FAIL', eraseEvidence, {
        target: storeName,
        ...(gone ? {} : { note }),
      }),
      record('erase-verification', verifyStarted, gone ? 'PASS' : 'FAIL', check, {
        target: storeName,
        ...(gone ? {} : { note }),
      }),
    ],
  };
}

/** Intents to erase this store journaled before the current one (by runs that died). */
function earlierIntents(ctx: JobContext, storeName: string): number {
  const intents = ctx.journal.entries.filter(
    (e) => e.type === 'intent' && e.step === 'erase' && e.target === storeName,
  );
  return intents.length - 1;
}

/** The size of the store as its latest backup (or, under omit, its one read) took it. */
function backedUpSize(ctx: JobContext, storeName: string): number | undefined {
  const last = [...ctx.journal.entries]
    .reverse()
    .find((e) => e.type === 'result' && e.step === 'backup' && e.target === storeName);
  const evidence = ((last?.data?.records ?? []) as StepRecord[])[0]?.evidence;
  const size = evidence?.bytes ?? evidence?.bytesRead;
  return typeof size === 'number' ? size : undefined;
}

/** A file not the size its backup read: backed up again (the machine sees 'changed'), a few times at most. */
function changedSinceBackup(ctx: JobContext, now: StoreInfo, startedAt: Date): StepOutcome | undefined {
  const size = backedUpSize(ctx, now.name);
  if (size === undefined || size === now.size) return undefined;
  const changes = ctx.journal.entries.filter(
    (e) =>
      e.type === 'result' && e.step === 'erase' && e.target === now.name && e.data?.outcome === 'changed',
  ).length;
  if (changes + 1 >= MAX_BACKUPS_PER_STORE) {
    const why = `its size changed after each of ${changes + 1} backups; bytes that were not backed up are never deleted`;
    return notAttempted(now.name, startedAt, why);
  }
  ctx.reporter.warn(
    `${now.name} is ${now.size} bytes now, ${size} when it was backed up; backing it up again`,
  );
  ctx.journal.append('note', {
    data: { event: 'store-changed-since-backup', store: now.name, size: now.size, backedUp: size },
  });
  return { outcome: 'changed', records: [] };
}

import type { EraseProgress } from '../../../protocol/driver.js';
import type { EraseMethod, StoreInfo } from '../../../protocol/domain.js';
import { ERASE_METHODS } from '../../../protocol/domain.js';
import type { BackupSet } from '../../../wipe/backup/backup-set.js';
import type { BlockFingerprints } from '../../../wipe/erasure/fingerprints.js';
import type { JobContext, StepOutcome } from '../context.js';
import { fingerprintsForErase, type ErasePrints } from './erase-prints.js';
import { verifyErase } from './erase-verification.js';
import { record } from './records.js';

const PASSES: Record<EraseMethod, number> = { crypto: 1, overwrite3: 3, overwrite1: 1 };
const POLL_MS = 50;
/** A store whose bytes changed after this many backups is not chased further: it FAILs. */
export const MAX_BACKUPS_PER_STORE = 3;

/** Default policy: the strongest method the terminal offers. */
export function chooseMethod(offered: readonly string[]): EraseMethod | undefined {
  return ERASE_METHODS.find((m) => offered.includes(m));
}

/**
 * Erase one store and verify it. Right before the ERASE the store list is read again: the
 * store is erased only if a verified backup of exactly the bytes it holds now is on disk (a
 * store that changed since its backup is backed up again first, up to MAX_BACKUPS_PER_STORE
 * times). Completion is what the terminal answered last (ERASE_STATUS when polled, ERASE when it
 * answered done at once), the terminal's own VERIFY_ERASE is recorded, and the agent reads the
 * store back itself (erase-verification.ts). A terminal that claims an erase it did not do fails
 * the read-back.
 */
export async function eraseOne(ctx: JobContext, set: BackupSet, storeName: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const method = chooseMethod(ctx.driver().capabilities.erase);
  if (!method) return noKnownMethod(ctx, storeName, startedAt);
  const reading = await ctx.storeList.reread(`before the erase of ${storeName}`);
  const info = reading.stores.find((s) => s.name === storeName);
  if (!info || reading.discrepancies.length > 0) {
    return notAttempted(
      storeName,
      startedAt,
      reading.discrepancies.join('; ') || `STORES no longer lists ${storeName}`,
    );
  }
  // An ERASE this job already sent (it was cut off) has changed the bytes itself: the same op
  // resumes it. Backing up a half-erased store would overwrite the backup of the whole one.
  if (!eraseMayHaveBegun(ctx, storeName) && !(await copiedAsItIs(ctx, set, info))) {
    return changedSinceBackup(ctx, info, startedAt);
  }
  const index = ctx.inventory().stores.findIndex((s) => s.name === storeName);
  const before: ErasePrints = method === 'crypto' ? await fingerprintsForErase(ctx, info, index) : {};
  if (method === 'crypto' && !before.prints && !before.eraseStarted)
    return notAttempted(storeName, startedAt, before.problem ?? 'no fingerprints');
  const op = ctx.opId('erase', storeName);
  const { started, progress } = await eraseUntilDone(ctx, info, method, op);
  const keyDestroyed = method === 'crypto' ? progress.keyDestroyed : undefined;
  const eraseEvidence = {
    method,
    passes: started.passes ?? PASSES[method],
    op,
    terminalState: progress.state,
    // The request whose answer gave the final state: ERASE itself when it answered done at once.
    confirmedBy: progress === started ? 'ERASE' : 'ERASE_STATUS',
    ...(keyDestroyed === undefined ? {} : { keyDestroyed }),
  };
  if (progress.state !== 'done') {
    const note =
      progress.state === 'running'
        ? 'the erase did not finish in time'
        : 'the terminal reports the erase failed';
    return {
      outcome: 'failed',
      records: [
        record('erase', startedAt, 'FAIL', eraseEvidence, { target: storeName, note }),
        record(
          'erase-verification',
          new Date(),
          'FAIL',
          { verification: 'none', readBack: false },
          { target: storeName, note: 'not verified: the erase did not complete' },
        ),
      ],
    };
  }

  const verifyStarted = new Date();
  const v = await verifyErase(ctx, info, method, before.prints ?? NO_FINGERPRINTS);
  // SP 800-88: a crypto erase sanitizes only when the key is gone; the terminal says it is not.
  const keyKept = keyDestroyed === false;
  const eraseNote = !v.readBackPassed
    ? 'the terminal reported the erase done, but the data is still there'
    : keyKept
      ? 'the terminal reports the media key was not destroyed'
      : undefined;
  return {
    outcome: v.verified && !keyKept ? 'verified' : 'failed',
    records: [
      record('erase', startedAt, eraseNote ? 'FAIL' : 'PASS', eraseEvidence, {
        target: storeName,
        ...(eraseNote ? { note: eraseNote } : {}),
      }),
      record('erase-verification', verifyStarted, v.verified ? 'PASS' : 'FAIL', v.evidence, {
        target: storeName,
        ...(v.verified ? {} : { note: v.reasons.join('; ') }),
      }),
    ],
  };
}

/**
 * The store's bytes are not those of its verified backup: they are never erased on that
 * backup's strength. It is backed up again (the machine sees the outcome 'changed'), unless it
 * has kept changing.
 */
function changedSinceBackup(ctx: JobContext, info: StoreInfo, startedAt: Date): StepOutcome {
  const changes = ctx.journal.entries.filter(
    (e) =>
      e.type === 'result' && e.step === 'erase' && e.target === info.name && e.data?.outcome === 'changed',
  ).length;
  if (changes + 1 >= MAX_BACKUPS_PER_STORE) {
    return notAttempted(
      info.name,
      startedAt,
      `its content changed after each of ${changes + 1} backups; bytes that were not backed up are never erased`,
    );
  }
  ctx.reporter.warn(`${info.name} changed since its backup (sha256 ${info.sha256}); backing it up again`);
  ctx.journal.append('note', {
    data: { event: 'store-changed-since-backup', store: info.name, sha256: info.sha256, size: info.size },
  });
  return { outcome: 'changed', records: [] };
}

/**
 * Was exactly what the store holds now backed up (the backup's digest), or, where
 * --card-data-backup omit left it uncopied (omit.ts), read whole with this digest?
 */
async function copiedAsItIs(ctx: JobContext, set: BackupSet, info: StoreInfo): Promise<boolean> {
  if (await set.verified(info.name, info.sha256)) return true;
  if (ctx.cardDataBackup !== 'omit') return false;
  const last = [...ctx.journal.entries]
    .reverse()
    .find((e) => e.type === 'result' && e.step === 'backup' && e.target === info.name);
  const rec = (last?.data?.records as { evidence?: Record<string, unknown> }[] | undefined)?.[0];
  return last?.data?.outcome === 'omitted' && rec?.evidence?.receivedSha256 === info.sha256;
}

/** Without fingerprints from before the erase, read-back cannot show a crypto-erased block unchanged. */
const NO_FINGERPRINTS: BlockFingerprints = { blocks: 0, matches: () => undefined };

/** An earlier erase step of this store ended without a result: its ERASE may have been sent. */
function eraseMayHaveBegun(ctx: JobContext, storeName: string): boolean {
  const steps = ctx.journal.entries.filter(
    (e) => (e.type === 'intent' || e.type === 'result') && e.step === 'erase' && e.target === storeName,
  );
  // The last entry is this step's own intent.
  return steps.slice(0, -1).some((e, i, all) => e.type === 'intent' && all[i + 1]?.type !== 'result');
}

/** The ERASE was never sent: both records say why. */
export function notAttempted(storeName: string, startedAt: Date, why: string): StepOutcome {
  const note = `not attempted: ${why}`;
  return {
    outcome: 'failed',
    records: [
      record('erase', startedAt, 'FAIL', { attempted: false, reason: why }, { target: storeName, note }),
      record(
        'erase-verification',
        new Date(),
        'FAIL',
        { attempted: false, readBack: false, verification: 'none' },
        { target: storeName, note },
      ),
    ],
  };
}

/** Starts the erase and polls ERASE_STATUS until it is no longer running, or its time is up. */
async function eraseUntilDone(
  ctx: JobContext,
  info: StoreInfo,
  method: EraseMethod,
  op: string,
): Promise<{ started: EraseProgress; progress: EraseProgress }> {
  const storeName = info.name;
  ctx.reporter.info(
    `erasing ${storeName} (${method}, ${PASSES[method]} pass${PASSES[method] > 1 ? 'es' : ''})`,
  );
  const started = await ctx.withLink(`erase ${storeName}`, (d) => d.startErase(op, storeName, method));
  let progress = started;
  const deadline = Date.now() + 120_000 + info.size / 1000;
  while (progress.state === 'running') {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    progress = await ctx.withLink(`erase status ${storeName}`, (d) => d.eraseStatus(op));
    ctx.reporter.progress(`erase ${storeName}`, progress.done, progress.total || info.size);
  }
  ctx.reporter.endProgress();
  return { started, progress };
}

/** The terminal offers no erase method the agent knows: nothing is erased, and both records say so. */
function noKnownMethod(ctx: JobContext, storeName: string, startedAt: Date): StepOutcome {
  const note = 'the terminal offers no erase method the agent knows';
  return {
    outcome: 'failed',
    records: [
      record(
        'erase',
        startedAt,
        'UNKNOWN',
        { offered: ctx.driver().capabilities.erase },
        { target: storeName, note },
      ),
      record(
        'erase-verification',
        startedAt,
        'UNKNOWN',
        { verification: 'none' },
        { target: storeName, note },
      ),
    ],
  };
}

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { StoreInfo } from '../../../protocol/domain.js';
import { backupFileName } from '../../../wipe/backup/safe-name.js';
import {
  FingerprintAccumulator,
  fingerprintsFrom,
  readFingerprints,
  writeFingerprints,
  type BlockFingerprints,
} from '../../../wipe/erasure/fingerprints.js';
import { readSketches, writeSketches } from '../../../wipe/erasure/sketch-file.js';
import { SketchAccumulator } from '../../../wipe/erasure/sketch.js';
import type { JobContext } from '../context.js';

/**
 * What a crypto erase is verified against, as the backup step made it: the store's keyed block
 * fingerprints (wipe/erasure/fingerprints.ts) and keyed block sketches (wipe/erasure/sketch.ts).
 * When either is missing or does not open with the job's key (they are deleted with every
 * certificate; a resumed job needs them again), and the store has not been touched, both are made
 * again before the erase by reading the store once more: it must still hash to the digest that was
 * backed up (which also shows the terminal still holds exactly what the backup holds). A store
 * that no longer matches its backup is not erased unless an earlier run already sent its ERASE
 * (`eraseStarted`): then there is nothing left to fingerprint, and read-back, with nothing to
 * compare, records the verification FAIL.
 */
export interface ErasePrints {
  prints?: BlockFingerprints;
  /** An earlier run journaled this store's erase, and the store no longer matches its backup. */
  eraseStarted?: boolean;
  /** Why there are no fingerprints. */
  problem?: string;
}

export const fingerprintsPathFor = (ctx: JobContext, index: number, store: string): string =>
  join(ctx.workDir, `${backupFileName(index + 1, store)}.fp`);

export async function fingerprintsForErase(
  ctx: JobContext,
  info: StoreInfo,
  index: number,
): Promise<ErasePrints> {
  const path = fingerprintsPathFor(ctx, index, info.name);
  const file = backupFileName(index + 1, info.name);
  const made = await readFingerprints(path, ctx.fingerprintKey);
  if (made && (await readSketches(ctx.workDir, file, ctx.sketcher))) return { prints: made };
  ctx.reporter.info(`reading ${info.name} again to fingerprint it before the erase (this run's key)`);
  const acc = new FingerprintAccumulator(ctx.fingerprintKey);
  const sketches = new SketchAccumulator(ctx.sketcher);
  const hash = createHash('sha256');
  await ctx.readStore(info.name, 0, info.size, async (_offset, bytes) => {
    hash.update(bytes);
    acc.push(bytes);
    sketches.push(bytes);
    ctx.reporter.progress(`fingerprint ${info.name}`, _offset + bytes.length, info.size);
  });
  ctx.reporter.endProgress();
  const tags = acc.finish();
  const digest = hash.digest('hex');
  if (digest !== info.sha256) {
    // The current run appended one intent for this erase already; an earlier one means ERASE may have gone out.
    const intents = ctx.journal.entries.filter(
      (e) => e.type === 'intent' && e.step === 'erase' && e.target === info.name,
    ).length;
    const problem = `${info.name} no longer matches its backup (SHA-256 ${digest})`;
    ctx.journal.append('note', {
      data: { event: 'fingerprints-unavailable', store: info.name, eraseStarted: intents > 1, problem },
    });
    return { eraseStarted: intents > 1, problem };
  }
  await writeFingerprints(path, ctx.fingerprintKey, ctx.recipient.certPem, tags);
  await writeSketches(ctx.workDir, file, ctx.sketcher, sketches.finish());
  ctx.journal.append('note', { data: { event: 'fingerprints-remade', store: info.name } });
  return { prints: fingerprintsFrom(tags, ctx.fingerprintKey) };
}

import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Erase by the protocol's own delete command (ZVT Delete File, 08 12), for a driver whose
 * `eraseBy` is `delete`. The machine has already checked that this store's backup is verified.
 * The delete is believed only when a fresh Read File of the store finds it gone (the terminal
 * answers that it has no such file, or a file of no bytes): a terminal that answers Delete File
 * and still gives the bytes out is FAIL. The record names the method `delete`: nothing tells
 * how the medium under the file was overwritten, so it is no more than NIST Clear.
 */
export async function deleteOne(ctx: JobContext, storeName: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const measures = ctx.driver().capabilities.measures;
  const op = ctx.opId('erase', storeName);
  // A run that died between Delete File and its journaled result may have left the file gone:
  // deleting it again would be refused (no such file), so a resumed erase looks for it first.
  const resumed = earlierIntents(ctx, storeName) > 0;
  const present =
    !resumed ||
    (await ctx.withLink(`look for ${storeName}`, (d) => d.listStores([storeName]))).some(
      (s) => s.name === storeName,
    );
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
  const after = await ctx.withLink(`re-read ${storeName}`, (d) => d.listStores([storeName]));
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

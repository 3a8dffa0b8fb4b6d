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
  ctx.reporter.info(`deleting ${storeName} (its backup is verified)`);
  await ctx.withLink(`delete ${storeName}`, (d) => d.deleteStore(op, storeName));
  const eraseEvidence = { method: 'delete', passes: 1, op, confirmedBy: measures.erase };
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

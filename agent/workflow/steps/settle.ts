import { ErrorCode, isPosdecomError } from '../../../protocol/errors.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Close and settle the open batch. Success is what STATUS shows afterwards (no open batch),
 * not SETTLE's answer. A host that cannot be reached leaves money unsettled: that is never PASS.
 */
export async function settle(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const before = await ctx.withLink('status', (d) => d.status());
  if (!ctx.driver().capabilities.settle) {
    const evidence = { batchBefore: before.batch };
    return {
      outcome: before.batch.open ? 'unsettled' : 'settled',
      records: [
        record('settle', startedAt, 'UNKNOWN', evidence, { note: 'the terminal driver cannot settle' }),
      ],
    };
  }
  try {
    const result = await ctx.withLink('settle', (d) => d.settle(ctx.opId('settle')));
    const after = await ctx.withLink('status', (d) => d.status());
    const evidence = { batchBefore: before.batch, settlement: result, batchAfter: after.batch };
    if (after.batch.open) {
      return {
        outcome: 'unsettled',
        records: [
          record('settle', startedAt, 'FAIL', evidence, { note: 'a batch is still open after settlement' }),
        ],
      };
    }
    ctx.reporter.info(
      `settled batch ${result.batchId}: ${result.count} transactions, ${
        result.totals.map((t) => `${(t.minor / 100).toFixed(2)} ${t.currency}`).join(', ') || 'no totals'
      }`,
    );
    return {
      outcome: 'settled',
      records: [record('settle', startedAt, 'PASS', evidence)],
      extra: { settlement: result },
    };
  } catch (err) {
    if (!isPosdecomError(err) || err.code !== ErrorCode.TerminalRefused) throw err;
    const evidence = { batchBefore: before.batch, refusal: err.context.code ?? 'refused' };
    const note = ctx.allowUnsettled
      ? 'settlement failed; the unsettled batch is backed up and left on the terminal (--allow-unsettled)'
      : 'settlement failed; the job stops with money unsettled on the terminal';
    ctx.reporter.warn(`${err.message}`);
    return { outcome: 'unsettled', records: [record('settle', startedAt, 'FAIL', evidence, { note })] };
  }
}

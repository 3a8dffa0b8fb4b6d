import type { BatchStatus, Money } from '../../../protocol/domain.js';
import type { SettleResult } from '../../../protocol/driver.js';
import { ErrorCode, isPosdecomError } from '../../../protocol/errors.js';
import type { JobContext, StepOutcome } from '../context.js';
import { storeSummary } from '../store-list.js';
import { record } from './records.js';

/**
 * Close and settle the open batch. Success is what STATUS shows afterwards (no open batch),
 * not SETTLE's answer, and SETTLE's count and totals must be the batch STATUS showed before: a
 * terminal that settles other money than it held is not believed. A host that cannot be reached
 * leaves money unsettled: that is never PASS. Settling rewrites stores (SPEC.md s.6.7), so the
 * store list is read again afterwards.
 */
export async function settle(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const before = await ctx.status('before SETTLE');
  if (!ctx.driver().capabilities.settle) {
    const evidence = { batchBefore: before.batch };
    return {
      outcome: before.batch.open ? 'unsettled' : 'settled',
      records: [
        record('settle', startedAt, 'UNKNOWN', evidence, { note: 'the terminal driver cannot settle' }),
      ],
    };
  }
  // What SETTLE must settle: the batch before the first SETTLE of this job. A resumed job whose
  // SETTLE already ran gets its recorded answer (s.7.5) while STATUS shows the batch closed.
  const noted = ctx.journal.entries.find((e) => e.type === 'note' && e.data?.event === 'batch-before-settle');
  const reference = (noted?.data?.batch as BatchStatus | undefined) ?? before.batch;
  if (!noted) ctx.journal.append('note', { data: { event: 'batch-before-settle', batch: before.batch } });
  let result: SettleResult;
  try {
    result = await ctx.withLink('settle', (d) => d.settle(ctx.opId('settle')));
  } catch (err) {
    if (!isPosdecomError(err) || err.code !== ErrorCode.TerminalRefused) throw err;
    const c = err.context;
    const evidence = {
      batchBefore: before.batch,
      refusal: c.code ?? 'refused',
      // ZVT: the Abort's result text, and the pending pre-authorisation's receipt number (B8).
      ...(typeof c.resultText === 'string' ? { resultText: c.resultText.slice(0, 128) } : {}),
      ...(c.receiptNumber !== undefined ? { receiptNumber: String(c.receiptNumber).slice(0, 16) } : {}),
    };
    const note = ctx.allowUnsettled
      ? 'settlement failed; the unsettled batch is backed up and left on the terminal (--allow-unsettled)'
      : 'settlement failed; the job stops with money unsettled on the terminal';
    ctx.reporter.warn(`${err.message}`);
    return { outcome: 'unsettled', records: [record('settle', startedAt, 'FAIL', evidence, { note })] };
  }
  const after = await ctx.status('after SETTLE');
  const evidence = {
    batchBefore: before.batch,
    settlement: result,
    batchAfter: after.batch,
    confirmedBy: 'STATUS',
  };
  if (after.batch.open) {
    return {
      outcome: 'unsettled',
      records: [
        record('settle', startedAt, 'FAIL', evidence, { note: 'a batch is still open after settlement' }),
      ],
    };
  }
  const mismatch = totalsMismatch(reference, result);
  if (mismatch) {
    ctx.reporter.warn(`settlement not believed: ${mismatch}`);
    return {
      outcome: 'failed',
      records: [
        record('settle', startedAt, 'FAIL', { ...evidence, discrepancy: mismatch }, { note: mismatch }),
      ],
    };
  }
  // Settling rewrote the batch, settlements and logs stores (s.6.7): what the backups must hold.
  const { stores } = await ctx.storeList.reread('after SETTLE', { settled: true });
  ctx.reporter.info(
    `settled batch ${result.batchId}: ${result.count} transactions, ${
      result.totals.map((t) => `${(t.minor / 100).toFixed(2)} ${t.currency}`).join(', ') || 'no totals'
    }`,
  );
  return {
    outcome: 'settled',
    records: [record('settle', startedAt, 'PASS', { ...evidence, storesAfter: stores.map(storeSummary) })],
    extra: { settlement: result },
  };
}

/** SETTLE must settle the batch STATUS showed: the same count, the same totals per currency. */
export function totalsMismatch(before: BatchStatus, settled: SettleResult): string | undefined {
  const count = before.open ? before.count : 0;
  if (settled.count !== count) {
    return `SETTLE reports ${settled.count} transactions, but STATUS showed ${count} in the batch`;
  }
  const want = byCurrency(before.open ? before.totals : []);
  const got = byCurrency(settled.totals);
  for (const currency of new Set([...want.keys(), ...got.keys()])) {
    const w = want.get(currency) ?? 0;
    const g = got.get(currency) ?? 0;
    if (w !== g) {
      return `SETTLE reports ${g} minor units of ${currency}, but STATUS showed ${w} in the batch`;
    }
  }
  return undefined;
}

function byCurrency(totals: Money[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of totals) m.set(t.currency, (m.get(t.currency) ?? 0) + t.minor);
  return m;
}

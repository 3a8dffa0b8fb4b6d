import { ErrorCode, isPosdecomError } from '../../../protocol/errors.js';
import type { Money, StoreInfo } from '../../../protocol/domain.js';
import type { JournalEntry } from '../../journal.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Money first (SPEC.md s.6.20): payments the terminal took offline wait in its store-and-forward
 * queue and become money only once forwarded to the host. The queue is forwarded before the
 * batch is settled, and success is what STATUS shows afterwards (an empty queue), never
 * FORWARD's answer. A queue that will not forward is treated like an unsettled batch.
 */
export async function forwardSaf(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  if (ctx.driver().capabilities.measures['forward-saf'] === null) return noSafCommand(ctx, startedAt);
  const before = await ctx.withLink('status', (d) => d.status());
  const allowed = ctx.allowUnsettled
    ? 'the SAF store is backed up and left on the terminal (--allow-unsettled)'
    : 'the job stops with the payments on the terminal';
  if (!ctx.driver().capabilities.forwardSaf || !before.saf) {
    // A 1.0 terminal cannot say what waits in its queue: never PASS, and its saf store is kept.
    const safStores = ctx
      .inventory()
      .stores.filter((s) => s.kind === 'saf')
      .map((s) => s.name);
    const evidence = { protocol: ctx.driver().protocol, queueReported: false, safStores };
    // The technician may have forwarded it by hand (--attest): then the job goes on as forwarded.
    const attested = ctx.attested('forward-saf');
    const note =
      safStores.length > 0 && !attested
        ? `the terminal does not report its SAF queue (${ctx.driver().protocol}); ${allowed}`
        : `the terminal does not report a SAF queue (${ctx.driver().protocol})${attested ? '; the technician attests it was forwarded' : ' and has no saf store'}`;
    ctx.reporter.warn(note);
    const outcome = attested ? 'forwarded' : safStores.length > 0 ? 'unforwarded' : 'not-reported';
    return { outcome, records: [record('forward-saf', startedAt, 'UNKNOWN', evidence, { note })] };
  }
  const atInventory = ctx.inventory().status.saf;
  if (before.saf.count === 0 && atInventory && atInventory.count > 0 && !forwardSentBefore(ctx)) {
    // Cross-checked against the inventory: payments do not leave a queue nobody forwarded.
    const note = `STATUS showed ${atInventory.count} payments in the SAF queue at the inventory, and none now, though no FORWARD was sent; ${allowed}`;
    ctx.reporter.warn(note);
    const evidence = {
      safAtInventory: atInventory,
      safBefore: before.saf,
      forwarded: null,
      confirmedBy: 'STATUS',
    };
    return {
      outcome: 'unforwarded',
      records: [record('forward-saf', startedAt, 'FAIL', evidence, { note })],
    };
  }
  if (before.saf.count === 0) {
    ctx.reporter.info('the store-and-forward queue is empty');
    const evidence = { safBefore: before.saf, forwarded: null, confirmedBy: 'STATUS' };
    return { outcome: 'forwarded', records: [record('forward-saf', startedAt, 'PASS', evidence)] };
  }
  ctx.reporter.info(`forwarding ${before.saf.count} offline payments (${amounts(before.saf.totals)})`);
  try {
    const sent = await ctx.withLink('forward', (d) => d.forwardSaf(ctx.opId('forward-saf')));
    const after = await ctx.withLink('status', (d) => d.status());
    const evidence = {
      safBefore: before.saf,
      forwarded: sent,
      safAfter: after.saf ?? null,
      confirmedBy: 'STATUS',
    };
    if (!after.saf || after.saf.count > 0) {
      const note = `the SAF queue is not empty after FORWARD; ${allowed}`;
      ctx.reporter.warn(note);
      return {
        outcome: 'unforwarded',
        records: [record('forward-saf', startedAt, 'FAIL', evidence, { note })],
      };
    }
    ctx.reporter.info(`forwarded ${sent.count} offline payments (${amounts(sent.totals)})`);
    return {
      outcome: 'forwarded',
      records: [record('forward-saf', startedAt, 'PASS', evidence)],
      extra: { forwarded: sent.count },
    };
  } catch (err) {
    if (!isPosdecomError(err) || err.code !== ErrorCode.TerminalRefused) throw err;
    const evidence = { safBefore: before.saf, refusal: err.context.code ?? 'refused' };
    const note = `forwarding failed; ${allowed}`;
    ctx.reporter.warn(err.message);
    return {
      outcome: 'unforwarded',
      records: [record('forward-saf', startedAt, 'FAIL', evidence, { note })],
    };
  }
}

/** An earlier run of this step (cut off before its result) may have sent FORWARD already. */
function forwardSentBefore(ctx: JobContext): boolean {
  return ctx.journal.entries.filter((e) => e.type === 'intent' && e.step === 'forward-saf').length > 1;
}

/**
 * A protocol with no command to report or forward the queue (ZVT): nothing is sent, the step is
 * UNKNOWN with why (ATTESTED when the technician attests forwarding by hand), never PASS. The job
 * goes on to settle, as for a 1.0 terminal without a saf store: there is no queue to wait for
 * that the tool could ever see, and End-of-Day is the terminal's own submission to its host.
 */
function noSafCommand(ctx: JobContext, startedAt: Date): StepOutcome {
  const protocol = ctx.driver().protocol;
  const attested = ctx.attested('forward-saf');
  const reason = 'no standard command to report or forward the store-and-forward queue';
  const note = `not possible over ${protocol}: ${reason}; ${attested ? 'the technician attests it was forwarded' : 'UNKNOWN unless attested'}`;
  ctx.reporter.warn(`forward-saf: ${note}`);
  const evidence = { attempted: false, protocol, reason, queueReported: false };
  return {
    outcome: attested ? 'forwarded' : 'not-reported',
    records: [record('forward-saf', startedAt, 'UNKNOWN', evidence, { note })],
  };
}

function amounts(totals: Money[]): string {
  return totals.map((t) => `${(t.minor / 100).toFixed(2)} ${t.currency}`).join(', ') || 'no totals';
}

/**
 * Is the journal's inventory older than a forward that emptied a queue it recorded? Then the saf
 * store was rewritten since (by this run, or by one killed before it could note it) and its
 * entry must be read again before its backup.
 */
export function safRefreshDue(entries: readonly JournalEntry[]): boolean {
  let inventoryAt = -1;
  let forwardedAt = -1;
  let queued = false;
  entries.forEach((e, i) => {
    if (e.type !== 'result') return;
    if (e.step === 'inventory') {
      inventoryAt = i;
      const inv = e.data?.inventory as { status?: { saf?: { count?: number } } } | undefined;
      queued = (inv?.status?.saf?.count ?? 0) > 0;
    }
    if (e.step === 'forward-saf' && e.data?.outcome === 'forwarded') forwardedAt = i;
  });
  return queued && forwardedAt > inventoryAt;
}

/**
 * FORWARD rewrites the saf store (SPEC.md s.6.20: its records are marked forwarded), so its
 * inventory entry is replaced by the reading taken after FORWARD (`now`, store-list.ts) before
 * the store is backed up; every other store keeps the entry the inventory recorded.
 */
export function storesAfterForward(inventory: readonly StoreInfo[], now: readonly StoreInfo[]): StoreInfo[] {
  return inventory.map((s) =>
    s.kind === 'saf' ? (now.find((n) => n.name === s.name && n.kind === 'saf') ?? s) : s,
  );
}

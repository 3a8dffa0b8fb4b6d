import type { KeySlot } from '../../../protocol/domain.js';
import { checkSameTerminal } from '../connection.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Key zeroization, unbinding and finalize: each confirmed by a fresh reading afterwards, and
 * each followed by a fresh reading of the store list (they are destructive requests).
 */
export async function zeroizeKeys(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const before = ctx.inventory().keys;
  const zeroized = await ctx.withLink('zeroize', (d) => d.zeroize(ctx.opId('zeroize')));
  const after = await ctx.withLink('keys', (d) => d.keys());
  await ctx.storeList.reread('after ZEROIZE');
  const problems = keyProblems(before, after);
  const evidence = {
    kcvBefore: before.map((k) => ({ slot: k.slot, type: k.type, kcv: k.kcv })),
    kcvAfter: after.map((k) => ({ slot: k.slot, type: k.type, kcv: k.kcv })),
    zeroizedSlots: zeroized,
    confirmedBy: 'KEYS',
  };
  const ok = problems.length === 0;
  ctx.reporter.info(
    ok ? `keys zeroized: ${after.length} slots empty` : `keys not shown zeroized: ${problems.join('; ')}`,
  );
  return {
    outcome: ok ? 'done' : 'failed',
    records: [
      record(
        'key-zeroization',
        startedAt,
        ok ? 'PASS' : 'FAIL',
        evidence,
        ok ? {} : { note: problems.join('; ') },
      ),
    ],
  };
}

/**
 * Every slot of the inventory must be reported again, empty: a KEYS answer that is empty or
 * shorter after ZEROIZE shows nothing about the slots it leaves out.
 */
export function keyProblems(before: readonly KeySlot[], after: readonly KeySlot[]): string[] {
  const problems: string[] = [];
  const left = after.filter((k) => k.kcv !== null).map((k) => k.slot);
  if (left.length > 0) problems.push(`key check values remain after zeroize in slots ${left.join(', ')}`);
  const missing = before.filter((k) => !after.some((a) => a.slot === k.slot)).map((k) => k.slot);
  if (missing.length > 0) {
    problems.push(`KEYS after ZEROIZE does not report slots ${missing.join(', ')} of the inventory`);
  }
  const slots = after.map((k) => k.slot);
  const repeated = slots.filter((s, i) => slots.indexOf(s) !== i);
  if (repeated.length > 0) problems.push(`KEYS after ZEROIZE lists slot ${repeated[0]} more than once`);
  return problems;
}

export async function unbind(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const before = ctx.inventory().identity;
  await ctx.withLink('unbind', (d) => d.unbind(ctx.opId('unbind')));
  const after = await ctx.withLink('identify', (d) => d.identify());
  checkSameTerminal(before, after, 'after unbinding');
  const status = await ctx.status('after UNBIND');
  await ctx.storeList.reread('after UNBIND');
  const ok = after.tid === null && after.mid === null && !status.bound;
  const evidence = {
    tidBefore: before.tid,
    midBefore: before.mid,
    acquirerBefore: before.acquirer,
    tidAfter: after.tid,
    midAfter: after.mid,
    bound: status.bound,
    confirmedBy: ctx.driver().capabilities.measures.unbind ?? 'IDENTIFY+STATUS',
  };
  return {
    outcome: ok ? 'done' : 'failed',
    records: [
      record(
        'unbind',
        startedAt,
        ok ? 'PASS' : 'FAIL',
        evidence,
        ok ? {} : { note: 'TID/MID still set after unbind' },
      ),
    ],
    extra: { identityAfter: after },
  };
}

export async function finalize(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const reply = await ctx.withLink('finalize', (d) => d.finalize(ctx.opId('finalize')));
  const status = await ctx.status('after FINALIZE');
  const { stores } = await ctx.storeList.reread('after FINALIZE');
  const keys = await ctx.withLink('keys', (d) => d.keys());
  const problems: string[] = [];
  if (!reply.safeToPowerOff) problems.push('the terminal does not report safe to power off');
  if (status.state !== 'decommissioned') problems.push(`state is ${status.state}`);
  for (const [ch, s] of Object.entries(status.channels))
    if (s !== 'off') problems.push(`${ch} acceptance is ${s}`);
  for (const [l, s] of Object.entries(status.links)) if (s !== 'down') problems.push(`${l} is ${s}`);
  if (status.bound) problems.push('still bound');
  if (status.batch.open) problems.push('a batch is open');
  for (const s of stores) if (!s.erased) problems.push(`${s.name} not erased`);
  problems.push(
    ...keyProblems(ctx.inventory().keys, keys).map((p) => p.replace(' after ZEROIZE', ' after FINALIZE')),
  );
  // The session's own authorization is not a fact about the decommissioned terminal.
  const { authorized: _authorized, ...finalStatus } = status;
  const evidence = {
    safeToPowerOff: reply.safeToPowerOff,
    finalStatus,
    storesErased: stores.map((s) => ({ name: s.name, erased: s.erased })),
    keySlotsEmpty: keys.every((k) => k.kcv === null) && keys.length >= ctx.inventory().keys.length,
  };
  const ok = problems.length === 0;
  return {
    outcome: ok ? 'done' : 'failed',
    records: [
      record('finalize', startedAt, ok ? 'PASS' : 'FAIL', evidence, ok ? {} : { note: problems.join('; ') }),
    ],
  };
}

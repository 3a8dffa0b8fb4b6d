import { checkSameTerminal } from '../connection.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/** Key zeroization, unbinding and finalize: each confirmed by a fresh reading afterwards. */
export async function zeroizeKeys(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const before = ctx.inventory().keys;
  const zeroized = await ctx.withLink('zeroize', (d) => d.zeroize(ctx.opId('zeroize')));
  const after = await ctx.withLink('keys', (d) => d.keys());
  const left = after.filter((k) => k.kcv !== null);
  const evidence = {
    kcvBefore: before.map((k) => ({ slot: k.slot, type: k.type, kcv: k.kcv })),
    kcvAfter: after.map((k) => ({ slot: k.slot, type: k.type, kcv: k.kcv })),
    zeroizedSlots: zeroized,
    confirmedBy: 'KEYS',
  };
  const ok = left.length === 0;
  ctx.reporter.info(
    ok
      ? `keys zeroized: ${after.length} slots empty`
      : `keys still present in slots ${left.map((k) => k.slot).join(', ')}`,
  );
  return {
    outcome: ok ? 'done' : 'failed',
    records: [
      record(
        'key-zeroization',
        startedAt,
        ok ? 'PASS' : 'FAIL',
        evidence,
        ok ? {} : { note: 'key check values remain after zeroize' },
      ),
    ],
  };
}

export async function unbind(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const before = ctx.inventory().identity;
  await ctx.withLink('unbind', (d) => d.unbind(ctx.opId('unbind')));
  const after = await ctx.withLink('identify', (d) => d.identify());
  checkSameTerminal(before, after, 'after unbinding');
  const status = await ctx.withLink('status', (d) => d.status());
  const ok = after.tid === null && after.mid === null && !status.bound;
  const evidence = {
    tidBefore: before.tid,
    midBefore: before.mid,
    acquirerBefore: before.acquirer,
    tidAfter: after.tid,
    midAfter: after.mid,
    bound: status.bound,
    confirmedBy: 'IDENTIFY+STATUS',
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
  const status = await ctx.withLink('status', (d) => d.status());
  const stores = await ctx.withLink('stores', (d) => d.listStores());
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
  for (const k of keys) if (k.kcv !== null) problems.push(`key slot ${k.slot} not empty`);
  const evidence = {
    safeToPowerOff: reply.safeToPowerOff,
    finalStatus: status,
    storesErased: stores.map((s) => ({ name: s.name, erased: s.erased })),
    keySlotsEmpty: keys.every((k) => k.kcv === null),
  };
  const ok = problems.length === 0;
  return {
    outcome: ok ? 'done' : 'failed',
    records: [
      record('finalize', startedAt, ok ? 'PASS' : 'FAIL', evidence, ok ? {} : { note: problems.join('; ') }),
    ],
  };
}

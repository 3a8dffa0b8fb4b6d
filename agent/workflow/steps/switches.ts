import type { Channel, LinkKind, Status } from '../../../protocol/domain.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Acceptance off and network down: each switch is thrown only if the status shows it on, and
 * every result is what a fresh STATUS shows afterwards, never what the command answered.
 * Both are idempotent, so a resumed job simply runs them again to re-verify.
 */
export async function disableAcceptance(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const inv = ctx.inventory();
  const canSwitch = new Set<string>(ctx.driver().capabilities.channels);
  const before = await ctx.withLink('status', (d) => d.status());
  const channels = [...new Set([...inv.channels, ...Object.keys(before.channels)])];
  for (const ch of channels) {
    if (before.channels[ch] === 'on' && canSwitch.has(ch)) {
      ctx.reporter.info(`switching off ${ch} acceptance`);
      await ctx.withLink(`disable ${ch}`, (d) => d.setChannel(ch as Channel, false));
    }
  }
  const after = await ctx.withLink('status', (d) => d.status());
  const records = channels.map((ch) => {
    const off = after.channels[ch] === 'off';
    const evidence = {
      before: before.channels[ch] ?? 'not reported',
      after: after.channels[ch] ?? 'not reported',
      confirmedBy: 'STATUS',
    };
    if (off) return record('disable-acceptance', startedAt, 'PASS', evidence, { target: ch });
    const note = canSwitch.has(ch) ? 'still on after the request' : 'the driver cannot switch this channel';
    return record('disable-acceptance', startedAt, canSwitch.has(ch) ? 'FAIL' : 'UNKNOWN', evidence, {
      target: ch,
      note,
    });
  });
  // A channel the driver cannot switch or read is UNKNOWN; the technician's attestation that it
  // was switched off by hand lets the job go on (the certificate then says INCOMPLETE, never PASS).
  const settled = (r: (typeof records)[number]) =>
    r.result === 'PASS' || (r.result === 'UNKNOWN' && ctx.attested('disable-acceptance', r.target));
  return {
    outcome: records.every(settled) ? 'done' : 'failed',
    records,
    extra: { status: after },
  };
}

export async function networkDown(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const canSwitch = new Set<string>(ctx.driver().capabilities.links);
  const before = await ctx.withLink('status', (d) => d.status());
  for (const [link, state] of Object.entries(before.links)) {
    if (state === 'up' && canSwitch.has(link)) {
      ctx.reporter.info(`taking ${link} down`);
      await ctx.withLink(`${link} down`, (d) => d.setLink(link as LinkKind, false));
    }
  }
  const after: Status = await ctx.withLink('status', (d) => d.status());
  const stillUp = Object.entries(after.links)
    .filter(([, s]) => s !== 'down')
    .map(([l]) => l);
  const evidence = { before: before.links, after: after.links, confirmedBy: 'STATUS' };
  const result = stillUp.length === 0 ? 'PASS' : 'FAIL';
  const note = stillUp.length > 0 ? `still up: ${stillUp.join(', ')}` : undefined;
  return {
    outcome: result === 'PASS' ? 'done' : 'failed',
    records: [record('network-down', startedAt, result, evidence, note ? { note } : {})],
  };
}

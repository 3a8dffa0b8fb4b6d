import type { Channel, LinkKind, Status } from '../../../protocol/domain.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Acceptance off and network down: each switch is thrown unless the status shows it already
 * off, and every result is what a fresh STATUS shows afterwards, never what the command
 * answered. Every channel and link the terminal announced (HELLO) must be in that STATUS: one it
 * leaves out is FAIL, named, never PASS on an empty reading. Both steps are idempotent, so a
 * resumed job simply runs them again to re-verify.
 */
export async function disableAcceptance(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const inv = ctx.inventory();
  const canSwitch = new Set<string>(ctx.driver().capabilities.channels);
  const before = await ctx.status('before switching acceptance off');
  const channels = [...new Set([...inv.channels, ...canSwitch, ...Object.keys(before.channels)])];
  for (const ch of channels) {
    if (before.channels[ch] !== 'off' && canSwitch.has(ch)) {
      ctx.reporter.info(`switching off ${ch} acceptance`);
      await ctx.withLink(`disable ${ch}`, (d) => d.setChannel(ch as Channel, false));
    }
  }
  const after = await ctx.status('after switching acceptance off');
  const records = channels.map((ch) => {
    const evidence = {
      before: before.channels[ch] ?? 'not reported',
      after: after.channels[ch] ?? 'not reported',
      confirmedBy: 'STATUS',
    };
    if (after.channels[ch] === 'off') {
      return record('disable-acceptance', startedAt, 'PASS', evidence, { target: ch });
    }
    if (!canSwitch.has(ch)) {
      const note = 'the driver cannot switch this channel';
      return record('disable-acceptance', startedAt, 'UNKNOWN', evidence, { target: ch, note });
    }
    const note =
      after.channels[ch] === undefined
        ? `STATUS does not report ${ch}, which the terminal announced`
        : 'still on after the request';
    return record('disable-acceptance', startedAt, 'FAIL', evidence, { target: ch, note });
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
  const before = await ctx.status('before taking the network down');
  const links = [...new Set([...ctx.inventory().links, ...canSwitch, ...Object.keys(before.links)])];
  for (const link of links) {
    if (before.links[link] !== 'down' && canSwitch.has(link)) {
      ctx.reporter.info(`taking ${link} down`);
      await ctx.withLink(`${link} down`, (d) => d.setLink(link as LinkKind, false));
    }
  }
  const after: Status = await ctx.status('after taking the network down');
  const unreported = links.filter((l) => after.links[l] === undefined);
  const stillUp = links.filter((l) => after.links[l] === 'up');
  const evidence = {
    before: before.links,
    after: after.links,
    links,
    ...(unreported.length > 0 ? { notReported: unreported } : {}),
    confirmedBy: 'STATUS',
  };
  const problems = [
    ...(stillUp.length > 0 ? [`still up: ${stillUp.join(', ')}`] : []),
    ...unreported.map((l) => `STATUS does not report ${l}, which the terminal announced`),
  ];
  const result = problems.length === 0 ? 'PASS' : 'FAIL';
  return {
    outcome: result === 'PASS' ? 'done' : 'failed',
    records: [
      record(
        'network-down',
        startedAt,
        result,
        evidence,
        problems.length > 0 ? { note: problems.join('; ') } : {},
      ),
    ],
  };
}

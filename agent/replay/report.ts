import type { Divergence } from './link.js';
import { sessionFromHeader } from './session-limits.js';
import type { ReplayReport, RunReport } from './replay.js';

/**
 * The replay report as a person reads it: the recording, then each run step by step, then the
 * first divergence as a diff of normalised requests ("-" recorded, "+" what the agent sent).
 *
 *   run 1 of 1: decommission (allow-unsettled: no, resume: no, reconnect-wait: 30 s)
 *     ok    identify          1/1 requests
 *     FAIL  erase:saf         3/9 requests
 *     -     key-zeroization   0/2 requests (not reached)
 */
function describeOptions(r: RunReport): string {
  const o = r.header.options;
  const parts: string[] = [];
  if (r.command === 'decommission') {
    parts.push(`allow-unsettled: ${o.allowUnsettled ? 'yes' : 'no'}`);
    if (o.dryRun) parts.push('dry run');
  }
  if (r.command !== 'identify') {
    parts.push(`resume: ${o.resume ? 'yes' : 'no'}`);
    parts.push(`reconnect-wait: ${Math.round((o.reconnectWaitMs ?? 30_000) / 1000)} s`);
  }
  if (o.stores) parts.push(`stores: ${o.stores.join(',')}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function runLines(r: RunReport, of: number): string[] {
  const lines = [`run ${r.run} of ${of}: ${r.command}${describeOptions(r)}`];
  const ignored = sessionFromHeader(r.header).ignored;
  if (ignored.length > 0)
    lines.push(
      `  note: the transcript's header sets session limits (${ignored.join(', ').slice(0, 200)}); ignored, the agent's own apply`,
    );
  if (r.exitCode === null) {
    lines.push('  not run: an earlier run diverged');
    return lines;
  }
  const width = Math.max(8, ...r.steps.map((s) => s.step.length));
  const failedStep = r.divergence?.step;
  for (const s of r.steps) {
    const failed = s.step === failedStep || (s.matched > 0 && s.matched < s.recorded);
    const mark = failed ? 'FAIL' : s.matched === s.recorded ? 'ok  ' : '-   ';
    const note = mark === '-   ' ? ' (not reached)' : '';
    lines.push(`  ${mark}  ${s.step.padEnd(width)}  ${s.matched}/${s.recorded} requests${note}`);
  }
  lines.push(
    `  links opened ${r.links.opened} of ${r.links.recorded} recorded; exit code ${r.exitCode}` +
      (r.expectedExitCode !== null ? ` (recorded ${r.expectedExitCode})` : ''),
  );
  return lines;
}

export function divergenceLines(d: Divergence): string[] {
  const where = [
    `run ${d.run}`,
    d.session !== undefined ? `session ${d.session}` : '',
    `step ${d.step}`,
    d.request !== undefined ? `request ${d.request}` : '',
    d.line !== undefined ? `transcript line ${d.line}` : '',
  ].filter(Boolean);
  const lines = [`first divergence (${where.join(', ')}):`, `  ${d.message}`];
  if (d.diff && d.diff.length > 0) {
    lines.push('  --- recorded', '  +++ agent');
    for (const l of d.diff) lines.push(`  ${l}`);
  }
  return lines;
}

export function reportText(r: ReplayReport): string {
  const first = r.runs[0]?.header;
  const id = first?.identity;
  const lines = [`replay ${r.source}`];
  if (first) {
    lines.push(
      `  recorded ${first.recorded.slice(0, 10)} with ${first.tool.name} ${first.tool.version} (protocol ${first.protocol}) on ${first.port}`,
    );
  }
  if (id) lines.push(`  terminal ${String(id.vendor)} ${String(id.model)}, serial ${String(id.serial)}`);
  for (const run of r.runs) lines.push(...runLines(run, r.runs.length));
  if (r.divergence) lines.push(...divergenceLines(r.divergence));
  lines.push(
    r.ok
      ? `result: the session replays (${r.requests.matched} requests matched)`
      : `result: the session does NOT replay (${r.requests.matched} of ${r.requests.recorded} requests matched)`,
  );
  return lines.join('\n') + '\n';
}

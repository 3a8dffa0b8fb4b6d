import type { Estate, GroupCounts } from './estate.js';
import { STATUSES, type EstateStatus } from './row.js';

/**
 * The estate summary for a terminal window: counts by result, by model and by destination,
 * then one line for every terminal that is not PASS (status, serial, directory, the step or
 * check), duplicated serials and unreadable directories. Text from a certificate that did not
 * verify may be anything, so control characters never reach the screen.
 */

const LABEL: Record<EstateStatus, string> = {
  PASS: 'PASS',
  INCOMPLETE: 'INCOMPLETE',
  FAIL: 'FAIL',
  'NOT VERIFIABLE': 'not verifiable',
};

export function renderText(estate: Estate): string {
  const s = estate.summary;
  const out: string[] = [];
  out.push(`${s.jobs} job${s.jobs === 1 ? '' : 's'} under ${estate.roots.map(clean).join(', ')}`, '');
  out.push(
    ...table(
      ['result', 'jobs'],
      STATUSES.map((st) => [LABEL[st], String(s.counts[st])]),
    ),
    '',
  );
  out.push(...groupTable('model', s.byModel), '');
  out.push(...groupTable('destination', s.byDestination));

  const notPass = estate.rows.filter((r) => r.status !== 'PASS');
  if (notPass.length > 0) {
    out.push('', `Not PASS (${notPass.length} terminal${notPass.length === 1 ? '' : 's'}):`);
    const width = Math.max(...notPass.map((r) => r.status.length));
    for (const r of notPass) {
      out.push(
        `  ${r.status.padEnd(width)}  ${clean(r.serial ?? '(no serial)')}  ${clean(r.dir)}: ${clean(r.problem ?? '')}`,
      );
    }
  }
  if (estate.duplicates.length > 0) {
    out.push(
      '',
      `Decommissioned more than once (${estate.duplicates.length} serial${plural(estate.duplicates)}):`,
    );
    for (const d of estate.duplicates) out.push(`  ${clean(d.serial)}: ${d.dirs.map(clean).join(', ')}`);
  }
  const simulated = estate.rows.filter((r) => r.simulated);
  if (simulated.length > 0) {
    out.push('', `Simulated terminals, rehearsals and not device records (${simulated.length}):`);
    for (const r of simulated) out.push(`  ${clean(r.serial ?? '(no serial)')}  ${clean(r.dir)}`);
  }
  if (estate.unreadable.length > 0) {
    out.push('', `Directories that could not be read (${estate.unreadable.length}):`);
    for (const u of estate.unreadable) out.push(`  ${clean(u.path)}: ${u.reason}`);
  }
  return out.join('\n') + '\n';
}

function plural(list: unknown[]): string {
  return list.length === 1 ? '' : 's';
}

function groupTable(title: string, groups: GroupCounts[]): string[] {
  return table(
    [title, 'total', ...STATUSES.map((st) => LABEL[st])],
    groups.map((g) => [clean(g.name), String(g.total), ...STATUSES.map((st) => String(g.counts[st]))]),
  );
}

/** First column left-aligned, numbers right-aligned, two spaces between, indented two. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/**
 * Control characters (an escape sequence in a forged certificate, a newline) and bidi overrides
 * (which reorder what the eye reads) shown as '?'.
 */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}

import type { UnreadableDir } from './discover.js';
import { STATUSES, type EstateRow, type EstateStatus } from './row.js';

/**
 * The estate as compliance staff read it: how many terminals ended how, by model and by
 * destination, which serials were decommissioned more than once, and which directories could
 * not be searched. Built from rows alone, so every renderer (text, CSV, HTML, JSON) shows the
 * same numbers.
 */

export type StatusCounts = Record<EstateStatus, number>;

export interface GroupCounts {
  /** The model or destination; "(unknown)" when the certificate did not say (or did not read). */
  name: string;
  total: number;
  counts: StatusCounts;
}

export interface DuplicateSerial {
  serial: string;
  dirs: string[];
}

export interface EstateSummary {
  jobs: number;
  counts: StatusCounts;
  byModel: GroupCounts[];
  byDestination: GroupCounts[];
}

export interface Estate {
  generatedAt: string;
  roots: string[];
  summary: EstateSummary;
  rows: EstateRow[];
  duplicates: DuplicateSerial[];
  unreadable: UnreadableDir[];
}

/** How the estate ended, worst first: what the exit code is made of. */
export type EstateOutcome = 'failed' | 'incomplete' | 'passed';

export const UNKNOWN_GROUP = '(unknown)';

export function buildEstate(
  rows: EstateRow[],
  unreadable: UnreadableDir[],
  roots: string[],
  now = new Date(),
): Estate {
  const duplicates = flagDuplicates(rows);
  return {
    generatedAt: now.toISOString(),
    roots,
    summary: {
      jobs: rows.length,
      counts: countStatuses(rows),
      byModel: groupBy(rows, (r) => r.model),
      byDestination: groupBy(rows, (r) => r.destination),
    },
    rows,
    duplicates,
    unreadable,
  };
}

/**
 * failed: anything failed or could not be verified, or a directory could not be searched (a
 * certificate behind it is unaccounted for). incomplete: all verified, none failed, some not
 * PASS. passed: every job verified and PASS. Duplicated serials are flagged, not failed: a
 * terminal done again after a FAIL is a normal story.
 */
export function estateOutcome(estate: Estate): EstateOutcome {
  const c = estate.summary.counts;
  if (c.FAIL > 0 || c['NOT VERIFIABLE'] > 0 || estate.unreadable.length > 0) return 'failed';
  if (c.INCOMPLETE > 0) return 'incomplete';
  return 'passed';
}

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as StatusCounts;
}

function countStatuses(rows: EstateRow[]): StatusCounts {
  const counts = emptyCounts();
  for (const r of rows) counts[r.status]++;
  return counts;
}

function groupBy(rows: EstateRow[], key: (r: EstateRow) => string | null): GroupCounts[] {
  const groups = new Map<string, GroupCounts>();
  for (const r of rows) {
    const name = key(r) ?? UNKNOWN_GROUP;
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, total: 0, counts: emptyCounts() }));
    g.total++;
    g.counts[r.status]++;
  }
  // Largest first; the unknown group last, whatever its size.
  return [...groups.values()].sort(
    (a, b) =>
      Number(a.name === UNKNOWN_GROUP) - Number(b.name === UNKNOWN_GROUP) ||
      b.total - a.total ||
      (a.name < b.name ? -1 : 1),
  );
}

/** Marks every row whose serial another row names too, and lists those serials. */
function flagDuplicates(rows: EstateRow[]): DuplicateSerial[] {
  const bySerial = new Map<string, EstateRow[]>();
  for (const r of rows) {
    if (r.serial === null) continue;
    const same = bySerial.get(r.serial);
    if (same) same.push(r);
    else bySerial.set(r.serial, [r]);
  }
  const duplicates: DuplicateSerial[] = [];
  for (const [serial, same] of bySerial) {
    if (same.length < 2) continue;
    for (const r of same) r.duplicateOf = same.filter((o) => o !== r).map((o) => o.dir);
    duplicates.push({ serial, dirs: same.map((r) => r.dir) });
  }
  return duplicates.sort((a, b) => (a.serial < b.serial ? -1 : 1));
}

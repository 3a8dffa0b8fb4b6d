import type { LinkCounts } from '../../protocol/driver.js';
import type { StepRecord } from '../../wipe/certificate/model.js';

/**
 * Frames dropped and resent, per job step (SPEC.md s.2.3 says a receiver reports what it drops):
 * the connection keeps running totals across reconnects, each step is charged the difference
 * between its start and its end, and that goes into the audit log and into every certificate
 * record the step produced (`evidence.link`). A job with 25 corrupted frames says where.
 */
export const NO_LINK_COUNTS: LinkCounts = Object.freeze({
  corrupted: 0,
  malformed: 0,
  unsolicited: 0,
  echoes: 0,
  unknownEvents: 0,
  eventsDropped: 0,
  retransmits: 0,
});

const KEYS = Object.keys(NO_LINK_COUNTS) as (keyof LinkCounts)[];

export function addCounts(a: LinkCounts, b: LinkCounts): LinkCounts {
  return Object.fromEntries(KEYS.map((k) => [k, a[k] + b[k]])) as unknown as LinkCounts;
}

export function countsSince(now: LinkCounts, before: LinkCounts): LinkCounts {
  return Object.fromEntries(KEYS.map((k) => [k, Math.max(0, now[k] - before[k])])) as unknown as LinkCounts;
}

/** Charges a step's records with what the link dropped and resent while it ran. */
export function chargeRecords(records: StepRecord[], link: LinkCounts): void {
  for (const r of records) r.evidence = { ...r.evidence, link: { ...link } };
}

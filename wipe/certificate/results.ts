import type { Result, StepRecord } from './steps.js';

/** Ordering and counting of step results, shared by the overall and sanitization rules. */

const SEVERITY: Record<Result, number> = { PASS: 0, WARN: 1, ATTESTED: 2, UNKNOWN: 3, FAIL: 4 };

export function worst(results: Iterable<Result>): Result {
  let w: Result = 'PASS';
  for (const r of results) if (SEVERITY[r] > SEVERITY[w]) w = r;
  return w;
}

/** Measured and as required: a WARN is a PASS that carries findings. */
export function isPassing(r: Result): boolean {
  return r === 'PASS' || r === 'WARN';
}

export function hasEvidence(step: StepRecord): boolean {
  const e: unknown = step.evidence;
  return typeof e === 'object' && e !== null && !Array.isArray(e) && Object.keys(e).length > 0;
}

/** An ATTESTED step counts only with the technician's statement and time behind it. */
export function hasAttestation(step: StepRecord): boolean {
  const a = step.attestation;
  return a !== undefined && a.statement.trim().length > 0 && Number.isFinite(Date.parse(a.time));
}

/**
 * The result a step counts as: a PASS or WARN with nothing measured behind it, and an ATTESTED
 * with no statement behind it, are UNKNOWN.
 */
export function effectiveResult(step: StepRecord): Result {
  if (isPassing(step.result) && !hasEvidence(step)) return 'UNKNOWN';
  if (step.result === 'ATTESTED' && !hasAttestation(step)) return 'UNKNOWN';
  return step.result;
}

export function stepLabel(step: { step: string; target?: string }): string {
  return step.target === undefined ? step.step : `${step.step} (${step.target})`;
}

import type { Result, StepRecord } from './model.js';

/** Ordering and counting of step results, shared by the overall and sanitization rules. */

const SEVERITY: Record<Result, number> = { PASS: 0, WARN: 1, UNKNOWN: 2, FAIL: 3 };

export function worst(results: Iterable<Result>): Result {
  let w: Result = 'PASS';
  for (const r of results) if (SEVERITY[r] > SEVERITY[w]) w = r;
  return w;
}

export function hasEvidence(step: StepRecord): boolean {
  const e: unknown = step.evidence;
  return typeof e === 'object' && e !== null && !Array.isArray(e) && Object.keys(e).length > 0;
}

/** The result a step counts as: a PASS with nothing measured behind it is UNKNOWN. */
export function effectiveResult(step: StepRecord): Result {
  return step.result === 'PASS' && !hasEvidence(step) ? 'UNKNOWN' : step.result;
}

export function stepLabel(step: StepRecord): string {
  return step.target === undefined ? step.step : `${step.step} (${step.target})`;
}

import type { Result, StepName, StepRecord } from '../../../wipe/certificate/model.js';

/** Builds a StepRecord with the times measured around the work that produced it. */
export function record(
  step: StepName,
  startedAt: Date,
  result: Result,
  evidence: Record<string, unknown>,
  extra: { target?: string; note?: string } = {},
): StepRecord {
  const r: StepRecord = {
    step,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    result,
    evidence,
  };
  if (extra.target !== undefined) r.target = extra.target;
  if (extra.note !== undefined) r.note = extra.note;
  return r;
}

/**
 * The application-level timers and bounds of a sequence (PA00P016 3.4 for T3/T4). Defaults are
 * the spec's; tests shorten them here instead of faking time.
 */
export interface SequenceTimers {
  /** From the command to the terminal's 80 00 or 84 xx. */
  t3Ms: number;
  /** From any terminal APDU to the next while the terminal holds master rights (restarted by each). */
  t4Ms: number;
  /** What one unit of the 04 FF timeout byte is worth: a minute; tests make it shorter. */
  timeoutByteUnitMs: number;
  /** After 84 9C (please wait): how long to wait for 80 00 before sending the command again. */
  pleaseWaitMs: number;
  /** 84 9C answers accepted for one command before giving up. */
  maxPleaseWait: number;
  /** Intermediate statuses in one sequence: a terminal that never finishes is cut off here. */
  maxIntermediate: number;
  /** Other terminal APDUs in one sequence (status information, print lines, file blocks). */
  maxApdus: number;
  /** Wall-clock bound on a whole sequence, however busy the terminal looks. */
  maxSequenceMs: number;
  /** Receipt text and described status information kept as evidence; beyond it, collection stops. */
  maxEvidenceBytes: number;
}

export const DEFAULT_SEQUENCE_TIMERS: SequenceTimers = {
  t3Ms: 5_000,
  t4Ms: 180_000,
  timeoutByteUnitMs: 60_000,
  pleaseWaitMs: 2_000,
  maxPleaseWait: 5,
  maxIntermediate: 500,
  maxApdus: 200_000,
  maxSequenceMs: 30 * 60_000,
  maxEvidenceBytes: 1024 * 1024,
};

export function resolveTimers(...overrides: (Partial<SequenceTimers> | undefined)[]): SequenceTimers {
  const t = { ...DEFAULT_SEQUENCE_TIMERS };
  for (const o of overrides) {
    if (!o) continue;
    for (const [k, v] of Object.entries(o) as [keyof SequenceTimers, number | undefined][]) {
      if (v !== undefined) t[k] = v;
    }
  }
  return t;
}

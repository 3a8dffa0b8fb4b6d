import { ErrorCode, PosdecomError } from '../../errors.js';
import type { SessionOptions } from './types.js';

/** Discard reasons that line noise or a cut cable can cause; every other one needs an intact frame. */
export const LINE_NOISE: ReadonlySet<string> = new Set(['overlong', 'truncated', 'no-crc', 'crc']);

/**
 * The tally of frames the session dropped, kept apart by what they prove: line noise says the
 * line is poor, a violation says the line works and the terminal misbehaves. Too many dropped in
 * a row, of either kind, and the link is treated as hostile.
 */
export class BadFrames {
  /** Frames that passed the CRC check yet broke the protocol: proof the link works and the terminal misbehaves. */
  violations = 0;
  /** Frames dropped for what line noise or a cut cable causes (LINE_NOISE). */
  noise = 0;
  private consecutive = 0;

  constructor(
    /** The session's per-reason discard counters, shared with SessionCounters. */
    private readonly discarded: Record<string, number>,
    private readonly options: Pick<SessionOptions, 'maxConsecutiveBad'>,
  ) {}

  /** Counts one dropped frame; returns the error to stop on once too many came in a row. */
  note(reason: string): PosdecomError | undefined {
    this.discarded[reason] = (this.discarded[reason] ?? 0) + 1;
    if (LINE_NOISE.has(reason)) this.noise++;
    else this.violations++;
    if (++this.consecutive <= this.options.maxConsecutiveBad) return undefined;
    return new PosdecomError(
      ErrorCode.SessionHostile,
      `the terminal sent ${this.consecutive} invalid frames in a row (last: ${reason}); stopping`,
    );
  }

  /** A frame that was good for something ends the run of bad ones. */
  good(): void {
    this.consecutive = 0;
  }
}

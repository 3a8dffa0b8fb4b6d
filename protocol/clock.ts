import { performance } from 'node:perf_hooks';

/**
 * The time a simulated terminal's line runs on: when a byte is due, when a turnaround or an
 * ACK wait ends. Everything else uses the real clock; this interface exists so a test can drive
 * a terminal's line time by hand (test/helpers/manual-clock.ts) and prove pacing, turnaround
 * and T2 exactly instead of measuring elapsed wall-clock time on a loaded machine.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale (performance.now() for the real clock). */
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Opaque: only the clock that made a timer can cancel it. */
export type ClockTimer = { readonly clockTimer: true } | NodeJS.Timeout;

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => {
    if (timer !== undefined) clearTimeout(timer as NodeJS.Timeout);
  },
};

/** Resolves after `ms` on the given clock. */
export function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

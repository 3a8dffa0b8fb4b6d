import { ErrorCode, PosdecomError } from '../../errors.js';
import type { SessionOptions } from './types.js';

/** Events beyond this many times the per-second budget, within a second, are a flood. */
const EVENT_FLOOD_FACTOR = 10;

/** What to do with one unsolicited event: hand it on, drop it, or stop talking to the terminal. */
export type EventVerdict = 'deliver' | 'drop' | 'flood';

/**
 * A flood of events must not cost the agent more than a bounded amount of work: past
 * `eventsPerSecond` in one second they are dropped, and far past it the terminal is hostile.
 */
export class EventBudget {
  private windowStart = 0;
  private inWindow = 0;

  constructor(private readonly options: Pick<SessionOptions, 'eventsPerSecond'>) {}

  admit(now = Date.now()): EventVerdict {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow <= this.options.eventsPerSecond) return 'deliver';
    // Far past the budget it is no longer a busy terminal but a flood: stop talking to it.
    return this.inWindow > this.options.eventsPerSecond * EVENT_FLOOD_FACTOR ? 'flood' : 'drop';
  }

  floodError(): PosdecomError {
    return new PosdecomError(
      ErrorCode.SessionHostile,
      `the terminal sent more than ${this.options.eventsPerSecond * EVENT_FLOOD_FACTOR} events in a second; stopping`,
    );
  }
}

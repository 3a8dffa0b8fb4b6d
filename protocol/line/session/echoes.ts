import type { Frame } from '../frame.js';

/** Echoes remembered at most: far more than a window's worth of resent requests. */
const MAX_ECHOES = 256;

/**
 * Answers still owed for requests we sent more than once and have had one answer to: each
 * retransmission draws its own (the duplicate cache replays it, s.7.4). Those late copies are
 * the echo of our own resends, not a terminal breaking the protocol.
 */
export class Echoes {
  private readonly owed = new Map<number, { type: string; left: number }>();

  /** A request answered after `attempts` transmissions: the other attempts' answers may follow. */
  expect(seq: number, type: string, attempts: number): void {
    if (attempts <= 1) return;
    this.owed.set(seq, { type, left: attempts - 1 });
    if (this.owed.size > MAX_ECHOES) this.owed.delete(this.owed.keys().next().value!);
  }

  /** True, and one fewer owed, when `frame` is a late copy of an answer we already had. */
  take(frame: Frame): boolean {
    const echo = this.owed.get(frame.seq);
    if (!echo || echo.type !== frame.type) return false;
    if (--echo.left === 0) this.owed.delete(frame.seq);
    return true;
  }

  /** `seq` names a new request now: nothing more is owed under it. */
  forget(seq: number): void {
    this.owed.delete(seq);
  }
}

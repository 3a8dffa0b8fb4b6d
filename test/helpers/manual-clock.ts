import type { Clock, ClockTimer } from '../../protocol/clock.js';

/**
 * A clock that moves only when a test moves it, for a simulated terminal's `lineClock`. Between
 * two of its timers the test lets the real event loop run until everything it started has
 * settled (in-memory cables deliver on setImmediate), so what happens at a given line time
 * does not depend on how busy the machine is: pacing, turnaround and T2 are exact.
 */
interface Pending {
  id: number;
  at: number;
  callback: () => void;
}

/** Turns of the event loop that let in-memory traffic (request, answer, ACK) settle. */
const SETTLE_TURNS = 25;

export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private pending: Pending[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const id = this.nextId++;
    this.pending.push({ id, at: this.time + Math.max(0, ms), callback });
    return { clockTimer: true, id } as unknown as ClockTimer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    const id = (timer as unknown as { id?: number } | undefined)?.id;
    this.pending = this.pending.filter((p) => p.id !== id);
  }

  /** Timers waiting to fire. */
  get timers(): number {
    return this.pending.length;
  }

  /** Lets the real event loop run until in-memory traffic has settled. */
  async settle(): Promise<void> {
    for (let i = 0; i < SETTLE_TURNS; i++) await new Promise((r) => setImmediate(r));
  }

  /** Fires, in time order, every timer due up to `now() + ms`, settling after each; ends at that time. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await this.settle();
    for (let next = this.due(until); next; next = this.due(until)) await this.fire(next);
    this.time = until;
    await this.settle();
  }

  /**
   * Runs the line until `done` settles: fires timers in time order (settling after each) and,
   * while none is waiting, lets real time pass for whatever the test itself waits on.
   */
  async runUntil<T>(done: Promise<T>, limitMs = 600_000): Promise<T> {
    let finished = false;
    const watched = done.finally(() => {
      finished = true;
    });
    watched.catch(() => undefined);
    await this.settle();
    while (!finished) {
      const next = this.due(Number.POSITIVE_INFINITY);
      if (next && next.at - this.time > limitMs)
        throw new Error(`line clock: nothing settled in ${limitMs} ms`);
      if (next) await this.fire(next);
      else await new Promise((r) => setTimeout(r, 5));
    }
    return watched;
  }

  private due(until: number): Pending | undefined {
    let first: Pending | undefined;
    for (const p of this.pending) if (p.at <= until && (!first || p.at < first.at)) first = p;
    return first;
  }

  private async fire(p: Pending): Promise<void> {
    this.pending = this.pending.filter((q) => q !== p);
    this.time = Math.max(this.time, p.at);
    p.callback();
    await this.settle();
  }
}

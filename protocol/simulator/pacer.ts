import { realClock, type Clock, type ClockTimer } from '../clock.js';

/**
 * The terminal's transmitter. With a baud rate set, bytes leave at baud/10 bytes per second
 * (8N1: a start bit, 8 data bits, a stop bit) and reach the peer when their last bit would
 * have: a frame starts no earlier than its `notBefore` and no earlier than the end of the
 * previous one. Every delivery time is computed from the frame's absolute start, never by
 * chaining setTimeout delays, so timer lateness does not accumulate into the measured rate
 * (bench/ compares goodput with the line rate).
 *
 *   queue: [frame A][frame B]...      line: |--A--|--B--|      deliveries: A in slices as due
 *
 * Unpaced (no baud), frames are written as soon as their `notBefore` has passed.
 */
export interface Outgoing {
  bytes: Buffer;
  /** Time on the pacer's clock before which the frame must not start. */
  notBefore: number;
  /** Deliver only this many bytes, then call onCut (a cable pulled mid-frame). */
  cutAt?: number;
  /** A marker without bytes: the link is pulled once everything before it has gone. */
  pull?: boolean;
}

/** Slices of a paced frame are delivered at least this often, so a reader sees a steady stream. */
const SLICE_MS = 16;

export class Pacer {
  private readonly queue: (Outgoing & { queuedAt: number })[] = [];
  private lineFreeAt = 0;
  /** Start time and bytes already delivered of the queue's head frame, once it has started. */
  private head: { start: number; sent: number } | undefined;
  private timer: ClockTimer | undefined;
  private stopped = false;
  private waiters: { limit: number; resolve: () => void }[] = [];

  constructor(
    private readonly deliver: (bytes: Buffer) => void,
    private readonly onPull: () => void,
    private readonly bytesPerSecond: number,
    private readonly clock: Clock = realClock,
  ) {}

  send(item: Outgoing): void {
    if (this.stopped) return;
    this.queue.push({ ...item, queuedAt: this.clock.now() });
    if (!this.timer) this.pump();
  }

  /** Frames queued and not yet fully delivered. */
  get pendingFrames(): number {
    return this.queue.length;
  }

  /** Resolves once fewer than `limit` frames are pending (or the pacer stopped): backpressure. */
  below(limit: number): Promise<void> {
    if (this.stopped || this.queue.length < limit) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ limit, resolve }));
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => this.stopped || this.queue.length < w.limit);
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private pump(): void {
    this.timer = undefined;
    while (!this.stopped) {
      const item = this.queue[0];
      if (!item) return;
      const now = this.clock.now();
      const wait = this.bytesPerSecond > 0 ? this.advancePaced(item, now) : this.advanceUnpaced(item, now);
      if (wait === 'cut') return;
      if (wait > 0) {
        this.timer = this.clock.setTimeout(() => this.pump(), Math.max(1, Math.ceil(wait)));
        return;
      }
      this.queue.shift();
      this.head = undefined;
      this.wake();
      if (item.pull) {
        this.stopped = true;
        this.onPull();
        return;
      }
    }
  }

  /** Returns ms to wait, 0 when the item is finished, or 'cut'. */
  private advanceUnpaced(item: Outgoing, now: number): number | 'cut' {
    if (item.notBefore > now) return item.notBefore - now;
    if (item.cutAt !== undefined) return this.cut(item, 0);
    if (item.bytes.length > 0) this.deliver(item.bytes);
    return 0;
  }

  private advancePaced(item: Outgoing & { queuedAt: number }, now: number): number | 'cut' {
    if (!this.head) {
      // A frame follows the previous one back to back, even when this timer fired late; it
      // cannot start before it existed (queuedAt) or before its turnaround (notBefore).
      const start = Math.max(item.notBefore, this.lineFreeAt, item.queuedAt);
      if (start > now) return start - now;
      this.head = { start, sent: 0 };
      this.lineFreeAt = start + (item.bytes.length * 1000) / this.bytesPerSecond;
    }
    const limit = item.cutAt ?? item.bytes.length;
    const due = Math.min(limit, Math.floor(((now - this.head.start) * this.bytesPerSecond) / 1000));
    if (due > this.head.sent) {
      this.deliver(item.bytes.subarray(this.head.sent, due));
      this.head.sent = due;
    }
    if (this.head.sent >= limit) return item.cutAt !== undefined ? this.cut(item, this.head.sent) : 0;
    const slice = Math.max(1, Math.ceil((this.bytesPerSecond * SLICE_MS) / 1000));
    const next = Math.min(limit, this.head.sent + slice);
    return this.head.start + (next * 1000) / this.bytesPerSecond - now;
  }

  private cut(item: Outgoing, alreadySent: number): 'cut' {
    const at = item.cutAt ?? 0;
    if (at > alreadySent) this.deliver(item.bytes.subarray(alreadySent, at));
    this.stopped = true;
    this.queue.length = 0;
    this.onPull();
    return 'cut';
  }
}

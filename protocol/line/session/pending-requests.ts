import { encodeFrame, type Frame } from '../frame.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { BadFrames } from './bad-frames.js';
import { Echoes } from './echoes.js';
import type { RequestOptions, SessionCounters, SessionOptions } from './types.js';

/** How far events and frame error reports may stretch an attempt's timer, in timeouts. */
const MAX_STRETCH = 2;

/** One request in flight, from its first transmission until it is answered or given up. */
export interface Pending {
  seq: number;
  type: string;
  bytes: Buffer;
  attempts: number;
  /** Position of the latest transmission among all of ours; replies arrive in this order. */
  order: number;
  /** Session discard counts and protocol violations when the request was first sent. */
  discardedAtStart: Record<string, number>;
  violationsAtStart: number;
  /** X BADFRAME reports naming this request: the terminal could not read it. */
  unreadable: number;
  /** Corrupt frames received (line noise) when the latest attempt was sent. */
  noiseAtSend: number;
  noisyRetries: number;
  /** When this attempt was sent, or last seen progressing (an answer to an earlier request). */
  progressAt: number;
  timeoutMs: number;
  expectBytes: number;
  timer: NodeJS.Timeout | undefined;
  resolve: (frame: Frame) => void;
  reject: (err: Error) => void;
}

/** What the requests in flight need from their session. */
export interface RequestLine {
  readonly options: SessionOptions;
  readonly counters: SessionCounters;
  readonly badFrames: BadFrames;
  /** The link's speed in bytes a second: a long reply on a slow link is not a lost one. */
  byteRate(): number;
  /** Puts one transmission on the wire (counted, observed, written). */
  send(bytes: Buffer): void;
  /** Bytes of a line that does not end, which the framer is discarding right now. */
  endlessBytes(): number;
  /** Gives back the window slot a settled request held. */
  releaseSlot(): void;
}

/**
 * Correlation and resend (SPEC.md s.7): each request in flight under its seq, with the timer that
 * measures the terminal's silence, and the echoes our own resends still have coming.
 */
export class PendingRequests {
  private nextSeq = 1;
  private sendOrder = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly echoes = new Echoes();

  constructor(private readonly line: RequestLine) {}

  /** Sends a request (holding a window slot already) and resolves with the frame that answers it. */
  send(type: string, header: Record<string, unknown>, options: RequestOptions): Promise<Frame> {
    const seq = this.takeSeq();
    const bytes = encodeFrame({ seq, kind: 'Q', type, header }, true);
    return new Promise<Frame>((resolve, reject) => {
      const p: Pending = {
        seq,
        type,
        bytes,
        attempts: 0,
        order: 0,
        discardedAtStart: { ...this.line.counters.discarded },
        violationsAtStart: this.line.badFrames.violations,
        unreadable: 0,
        noiseAtSend: 0,
        noisyRetries: options.noisyRetries ?? this.line.options.noisyRetries,
        progressAt: 0,
        timeoutMs: options.timeoutMs ?? this.line.options.requestTimeoutMs,
        expectBytes: options.expectReplyBytes ?? 512,
        timer: undefined,
        resolve: (f) => {
          this.settle(p);
          resolve(f);
        },
        reject: (e) => {
          this.settle(p);
          reject(e);
        },
      };
      // Register the expectation before the bytes leave, so a fast reply is never "unexpected".
      this.pending.set(seq, p);
      this.transmit(p);
    });
  }

  /** A late copy of an answer we already had, drawn by our own resend: counted and dropped. */
  takeEcho(frame: Frame): boolean {
    if (frame.kind !== 'R' || this.pending.has(frame.seq) || !this.echoes.take(frame)) return false;
    this.line.counters.discarded.echo = (this.line.counters.discarded.echo ?? 0) + 1;
    return true;
  }

  /** The request `frame` answers, if it answers one. */
  answered(frame: Frame): Pending | undefined {
    const p = this.pending.get(frame.seq);
    return frame.kind === 'R' && p && p.type === frame.type ? p : undefined;
  }

  answer(p: Pending, frame: Frame): void {
    // Replies come in request order (SPEC.md s.7.3): one sent before this and still unanswered
    // was lost on the way, so resend it now instead of waiting for its timer.
    const lost = [...this.pending.values()].filter((q) => q !== p && q.order < p.order);
    p.resolve(frame);
    for (const q of lost) this.onTimeout(q);
    this.rearmAll();
  }

  /** The terminal could not read our request (X BADFRAME): resend it now rather than at its timeout. */
  unreadable(seq: number): void {
    const p = this.pending.get(seq);
    if (p) p.unreadable++;
    if (p && p.attempts <= this.line.options.retries) {
      this.line.counters.retransmits++;
      this.transmit(p);
    }
    this.rearmAll(true);
  }

  /**
   * A frame spoiled by noise whose start still names one of our requests (seq, `R` and type
   * intact): that answer came and was corrupted, so resend the request now, not at its timeout.
   */
  resendSpoiled(seq: number | undefined, line: Buffer): void {
    const p = seq === undefined ? undefined : this.pending.get(seq);
    if (p && line.toString('latin1', 5, 8 + p.type.length) === `R ${p.type} `) this.onTimeout(p);
  }

  rearmAll(chatter = false): void {
    for (const q of this.pending.values()) this.arm(q, chatter);
  }

  rejectAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  private takeSeq(): number {
    let seq = this.nextSeq;
    while (this.pending.has(seq)) seq = seq >= 0xffff ? 1 : seq + 1;
    this.nextSeq = seq >= 0xffff ? 1 : seq + 1;
    // After a wrap the seq names a new request; an answer to the old one is no longer an echo.
    this.echoes.forget(seq);
    return seq;
  }

  private settle(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    if (this.pending.get(p.seq) === p) {
      this.pending.delete(p.seq);
      this.echoes.expect(p.seq, p.type, p.attempts);
      this.line.releaseSlot();
    }
  }

  private transmit(p: Pending): void {
    p.attempts++;
    p.order = ++this.sendOrder;
    p.noiseAtSend = this.line.badFrames.noise;
    p.progressAt = Date.now();
    this.arm(p);
    this.line.send(p.bytes);
  }

  /**
   * The timer measures silence, not total time: it restarts whenever the terminal shows it is
   * alive, and allows for this reply's own time on the wire, so a long frame on a slow link is
   * not mistaken for a lost one.
   */
  private arm(p: Pending, chatter = false): void {
    if (p.timer) clearTimeout(p.timer);
    const wireMs = (p.expectBytes / this.line.byteRate()) * 1000 * 1.5;
    const budget = p.timeoutMs + wireMs;
    if (!chatter) p.progressAt = Date.now();
    // Events and frame error reports show the terminal is alive, not that it works on this
    // request: they may stretch an attempt, but not without end, or a terminal that chatters
    // and never answers would hold the agent forever.
    const ms = chatter ? Math.min(budget, p.progressAt + MAX_STRETCH * budget - Date.now()) : budget;
    p.timer = setTimeout(() => this.onTimeout(p), Math.max(0, ms));
  }

  private onTimeout(p: Pending): void {
    if (this.pending.get(p.seq) !== p) return;
    // Corrupt frames since the latest attempt: its answer most likely came and was spoiled, so
    // the terminal is not silent and the noisy budget applies (SPEC.md s.7.2).
    const noisy = this.line.badFrames.noise > p.noiseAtSend;
    if (p.attempts > (noisy ? p.noisyRetries : this.line.options.retries)) {
      p.reject(this.givingUp(p, noisy));
      return;
    }
    this.line.counters.retransmits++;
    this.transmit(p);
  }

  /** Why a request that has used up its attempts failed, in words a technician can act on. */
  private givingUp(p: Pending, noisy: boolean): PosdecomError {
    const endless = this.line.endlessBytes();
    const since = discardedSince(p.discardedAtStart, this.line.counters.discarded);
    const seen = [
      since ? `dropped ${since}` : '',
      endless > 0 ? `${endless} bytes of a line that does not end` : '',
      p.unreadable > 0 ? `the terminal could not read it ${p.unreadable} times` : '',
    ]
      .filter(Boolean)
      .join(', ');
    // Every attempt drew a well-formed frame that was not its answer: the link carries frames
    // intact, so this is the terminal misbehaving, and reconnecting would not change it.
    if (this.line.badFrames.violations - p.violationsAtStart >= p.attempts) {
      return new PosdecomError(
        ErrorCode.SessionHostile,
        `the terminal answered ${p.type} ${p.attempts} times with frames that do not answer it (${seen}); stopping`,
        { type: p.type },
      );
    }
    // Still a link fault (the same code): reconnecting is the right next step either way.
    return new PosdecomError(
      ErrorCode.SessionTerminalSilent,
      noisy
        ? `no intact answer to ${p.type} after ${p.attempts} attempts: line noise corrupts the terminal's frames (${seen})`
        : `terminal silent: no valid answer to ${p.type} after ${p.attempts} attempts${seen ? ` (${seen})` : ''}`,
      { type: p.type, noisy },
    );
  }
}

/** "crc: 3, unexpected: 1": what was dropped since `before`, for the technician. */
function discardedSince(before: Record<string, number>, now: Record<string, number>): string {
  return Object.entries(now)
    .map(([reason, n]) => [reason, n - (before[reason] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ');
}

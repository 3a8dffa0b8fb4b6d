import { EventEmitter } from 'node:events';
import { decodeFrame, encodeFrame, type Frame } from '../frame.js';
import { Framer, DEFAULT_MAX_LINE, type FramerEvent } from '../framer.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { Link } from '../../transport/link.js';
import {
  PROTOCOL_VERSION,
  type Catalogue,
  type ErrorReply,
  type HelloReply,
  type MessageType,
} from '../messages.js';
import type { PayloadEncoding } from '../payload.js';
import { errorShape, replyShapes } from '../replies.js';
import { refusal } from './refusal.js';
import { checkHelloReply } from './hello.js';
import {
  DEFAULT_SESSION_OPTIONS,
  type FrameObserver,
  type Negotiated,
  type Reply,
  type RequestOptions,
  type SessionCounters,
  type SessionOptions,
} from './types.js';

export * from './types.js';

/**
 * The agent's side of a session (SPEC.md s.5, s.7):
 *
 *   request() -> [window slot] -> register expectation -> write -> timer
 *   link bytes -> Framer -> decodeFrame -> match seq -> validate shape -> resolve
 *
 * A request is retransmitted with the same seq and bytes; the terminal's duplicate
 * suppression makes that safe, and destructive requests also carry an op id.
 */
interface Pending {
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

export class Session extends EventEmitter {
  readonly options: SessionOptions;
  negotiated: Negotiated | undefined;
  readonly counters: SessionCounters = {
    framesOut: 0,
    framesIn: 0,
    retransmits: 0,
    discarded: {},
    eventsDropped: 0,
  };
  private nextSeq = 1;
  private sendOrder = 0;
  private readonly pending = new Map<number, Pending>();
  /**
   * Answers still owed for requests we sent more than once and have had one answer to: each
   * retransmission draws its own (the duplicate cache replays it, s.7.4). Those late copies are
   * the echo of our own resends, not a terminal breaking the protocol.
   */
  private readonly echoes = new Map<number, { type: string; left: number }>();
  private readonly slotWaiters: (() => void)[] = [];
  private readonly framer: Framer;
  private consecutiveBad = 0;
  /** Frames that passed the CRC check yet broke the protocol: proof the link works and the terminal misbehaves. */
  private violations = 0;
  /** Frames dropped for what line noise or a cut cable causes (LINE_NOISE). */
  private noise = 0;
  private failure: PosdecomError | undefined;
  private eventWindowStart = 0;
  private eventsInWindow = 0;
  private readonly observers: FrameObserver[] = [];

  constructor(
    private readonly link: Link,
    options: Partial<SessionOptions> = {},
  ) {
    super();
    // About a second of line time per frame: long enough for little overhead, short enough that
    // a frame lost to line noise costs little to resend.
    const lineForRate = 2 ** Math.ceil(Math.log2(Math.max(4096, Math.min(65536, link.byteRate))));
    this.options = { ...DEFAULT_SESSION_OPTIONS, maxLine: lineForRate, ...options };
    this.framer = new Framer((e) => this.onFramerEvent(e), DEFAULT_MAX_LINE);
    link.onData((bytes) => this.framer.push(bytes));
    link.onClose((reason) => {
      this.framer.end();
      this.fail(
        new PosdecomError(
          ErrorCode.TransportDisconnected,
          `link lost: ${link.description}${reason ? ` (${reason.message})` : ''}`,
        ),
      );
    });
  }

  observe(observer: FrameObserver): void {
    this.observers.push(observer);
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** Frames dropped so far as line noise would spoil them (bad CRC, cut or merged lines). */
  get corruptFrames(): number {
    return this.noise;
  }

  get window(): number {
    return this.negotiated?.window ?? 1;
  }

  async hello(): Promise<Negotiated> {
    const offerEnc: PayloadEncoding[] = this.link.eightBitClean ? ['8bit', 'b64'] : ['b64'];
    const reply = (await this.request(
      'HELLO',
      {
        proto: PROTOCOL_VERSION,
        agent: this.options.agent,
        maxLine: this.options.maxLine,
        window: this.options.window,
        enc: offerEnc,
        z: this.options.compression,
      },
      { timeoutMs: this.options.helloTimeoutMs },
    )) as HelloReply;
    checkHelloReply(reply, this.options, offerEnc);
    this.negotiated = {
      session: reply.session,
      maxLine: reply.maxLine,
      window: reply.window,
      enc: reply.enc,
      z: reply.z,
      caps: reply.caps,
    };
    this.framer.setMaxLine(reply.maxLine);
    return this.negotiated;
  }

  /** Sends a request and resolves with its validated reply; terminal refusals reject. */
  async request<T extends MessageType>(
    type: T,
    header: Catalogue[T]['req'],
    options: RequestOptions = {},
  ): Promise<Reply<T>> {
    for (let busy = 0; ; busy++) {
      const frame = await this.exchange(type, header as Record<string, unknown>, options);
      const h = frame.header;
      if (h.ok === true) {
        const problem = replyShapes[type](h, '');
        if (problem) {
          throw new PosdecomError(
            ErrorCode.SessionMalformed,
            `malformed ${type} reply from the terminal: ${problem}`,
            {
              type,
            },
          );
        }
        const reply = h as unknown as Reply<T>;
        if (frame.data) reply.data = frame.data;
        return reply;
      }
      if (h.ok !== false || errorShape(h, '')) {
        throw new PosdecomError(ErrorCode.SessionMalformed, `malformed ${type} reply from the terminal`, {
          type,
        });
      }
      const err = h as unknown as ErrorReply;
      if (err.code === 'BUSY' && busy < this.options.maxBusyRetries) {
        // A new seq: the terminal's duplicate suppression would replay BUSY for the old one.
        await delay(Math.min(err.retryAfterMs ?? 100, 5000));
        continue;
      }
      throw refusal(type, err);
    }
  }

  private async exchange(
    type: string,
    header: Record<string, unknown>,
    options: RequestOptions,
  ): Promise<Frame> {
    if (this.failure) throw this.failure;
    await this.acquireSlot();
    if (this.failure) {
      this.releaseSlot();
      throw this.failure;
    }
    const seq = this.takeSeq();
    const bytes = encodeFrame({ seq, kind: 'Q', type, header }, true);
    return new Promise<Frame>((resolve, reject) => {
      const p: Pending = {
        seq,
        type,
        bytes,
        attempts: 0,
        order: 0,
        discardedAtStart: { ...this.counters.discarded },
        violationsAtStart: this.violations,
        unreadable: 0,
        noiseAtSend: 0,
        noisyRetries: options.noisyRetries ?? this.options.noisyRetries,
        progressAt: 0,
        timeoutMs: options.timeoutMs ?? this.options.requestTimeoutMs,
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

  private settle(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    if (this.pending.get(p.seq) === p) {
      this.pending.delete(p.seq);
      if (p.attempts > 1) {
        this.echoes.set(p.seq, { type: p.type, left: p.attempts - 1 });
        if (this.echoes.size > MAX_ECHOES) this.echoes.delete(this.echoes.keys().next().value!);
      }
      this.releaseSlot();
    }
  }

  private transmit(p: Pending): void {
    p.attempts++;
    p.order = ++this.sendOrder;
    p.noiseAtSend = this.noise;
    p.progressAt = Date.now();
    this.arm(p);
    this.counters.framesOut++;
    for (const o of this.observers) o('out', p.bytes, undefined);
    this.link.write(p.bytes).catch((err: unknown) => {
      this.fail(
        err instanceof PosdecomError
          ? err
          : new PosdecomError(ErrorCode.TransportWriteFailed, `write failed: ${(err as Error).message}`),
      );
    });
  }

  /**
   * The timer measures silence, not total time: it restarts whenever the terminal shows it is
   * alive, and allows for this reply's own time on the wire, so a long frame on a slow link is
   * not mistaken for a lost one.
   */
  private arm(p: Pending, chatter = false): void {
    if (p.timer) clearTimeout(p.timer);
    const wireMs = (p.expectBytes / this.link.byteRate) * 1000 * 1.5;
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
    const noisy = this.noise > p.noiseAtSend;
    if (p.attempts > (noisy ? p.noisyRetries : this.options.retries)) {
      const endless = this.framer.discardingBytes;
      const since = discardedSince(p.discardedAtStart, this.counters.discarded);
      const seen = [
        since ? `dropped ${since}` : '',
        endless > 0 ? `${endless} bytes of a line that does not end` : '',
        p.unreadable > 0 ? `the terminal could not read it ${p.unreadable} times` : '',
      ]
        .filter(Boolean)
        .join(', ');
      // Every attempt drew a well-formed frame that was not its answer: the link carries frames
      // intact, so this is the terminal misbehaving, and reconnecting would not change it.
      if (this.violations - p.violationsAtStart >= p.attempts) {
        p.reject(
          new PosdecomError(
            ErrorCode.SessionHostile,
            `the terminal answered ${p.type} ${p.attempts} times with frames that do not answer it (${seen}); stopping`,
            { type: p.type },
          ),
        );
        return;
      }
      // Still a link fault (the same code): reconnecting is the right next step either way.
      p.reject(
        new PosdecomError(
          ErrorCode.SessionTerminalSilent,
          noisy
            ? `no intact answer to ${p.type} after ${p.attempts} attempts: line noise corrupts the terminal's frames (${seen})`
            : `terminal silent: no valid answer to ${p.type} after ${p.attempts} attempts${seen ? ` (${seen})` : ''}`,
          { type: p.type, noisy },
        ),
      );
      return;
    }
    this.counters.retransmits++;
    this.transmit(p);
  }

  private onFramerEvent(e: FramerEvent): void {
    if (e.type === 'discarded') {
      if (e.reason !== 'empty') this.noteBad(e.reason, undefined);
      return;
    }
    const result = decodeFrame(e.line);
    if (!result.ok) {
      this.noteBad(result.reason, e.line);
      if (LINE_NOISE.has(result.reason)) this.resendSpoiled(result.seq, e.line);
      return;
    }
    const frame = result.frame;
    this.counters.framesIn++;
    for (const o of this.observers) o('in', e.line, frame);
    if (frame.kind === 'E') {
      this.consecutiveBad = 0;
      this.rearmAll(true);
      this.onEvent(frame);
      return;
    }
    const p = this.pending.get(frame.seq);
    if (frame.kind === 'X') {
      this.consecutiveBad = 0;
      // The terminal could not read our request: resend it now rather than at its timeout.
      if (p) p.unreadable++;
      if (p && p.attempts <= this.options.retries) {
        this.counters.retransmits++;
        this.transmit(p);
      }
      this.rearmAll(true);
      return;
    }
    const echo = frame.kind === 'R' && !p ? this.echoes.get(frame.seq) : undefined;
    if (echo && echo.type === frame.type) {
      if (--echo.left === 0) this.echoes.delete(frame.seq);
      this.counters.discarded.echo = (this.counters.discarded.echo ?? 0) + 1;
      return;
    }
    if (frame.kind !== 'R' || !p || p.type !== frame.type) {
      this.noteBad('unexpected', e.line);
      return;
    }
    this.consecutiveBad = 0;
    // Replies come in request order (SPEC.md s.7.3): one sent before this and still unanswered
    // was lost on the way, so resend it now instead of waiting for its timer.
    const lost = [...this.pending.values()].filter((q) => q !== p && q.order < p.order);
    p.resolve(frame);
    for (const q of lost) this.onTimeout(q);
    this.rearmAll();
  }

  /**
   * A frame spoiled by noise whose start still names one of our requests (seq, `R` and type
   * intact): that answer came and was corrupted, so resend the request now, not at its timeout.
   */
  private resendSpoiled(seq: number | undefined, line: Buffer): void {
    const p = seq === undefined || this.failure ? undefined : this.pending.get(seq);
    if (p && line.toString('latin1', 5, 8 + p.type.length) === `R ${p.type} `) this.onTimeout(p);
  }

  private rearmAll(chatter = false): void {
    for (const q of this.pending.values()) this.arm(q, chatter);
  }

  private noteBad(reason: string, line: Buffer | undefined): void {
    this.counters.discarded[reason] = (this.counters.discarded[reason] ?? 0) + 1;
    if (LINE_NOISE.has(reason)) this.noise++;
    else this.violations++;
    this.emit('discard', reason, line?.length ?? 0);
    if (++this.consecutiveBad > this.options.maxConsecutiveBad) {
      this.fail(
        new PosdecomError(
          ErrorCode.SessionHostile,
          `the terminal sent ${this.consecutiveBad} invalid frames in a row (last: ${reason}); stopping`,
        ),
      );
    }
  }

  private onEvent(frame: Frame): void {
    const now = Date.now();
    if (now - this.eventWindowStart >= 1000) {
      this.eventWindowStart = now;
      this.eventsInWindow = 0;
    }
    // A flood of events must not cost the agent more than a bounded amount of work.
    if (++this.eventsInWindow > this.options.eventsPerSecond) {
      this.counters.eventsDropped++;
      // Far past the budget it is no longer a busy terminal but a flood: stop talking to it.
      if (this.eventsInWindow > this.options.eventsPerSecond * EVENT_FLOOD_FACTOR) {
        this.fail(
          new PosdecomError(
            ErrorCode.SessionHostile,
            `the terminal sent more than ${this.options.eventsPerSecond * EVENT_FLOOD_FACTOR} events in a second; stopping`,
          ),
        );
      }
      return;
    }
    this.emit('event', frame.type, frame.header);
  }

  private takeSeq(): number {
    let seq = this.nextSeq;
    while (this.pending.has(seq)) seq = seq >= 0xffff ? 1 : seq + 1;
    this.nextSeq = seq >= 0xffff ? 1 : seq + 1;
    // After a wrap the seq names a new request; an answer to the old one is no longer an echo.
    this.echoes.delete(seq);
    return seq;
  }

  /** Slots taken by requests in flight or about to be sent. */
  private reserved = 0;

  private acquireSlot(): Promise<void> {
    if (this.reserved < this.window) {
      this.reserved++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.slotWaiters.push(() => {
        this.reserved++;
        resolve();
      }),
    );
  }

  private releaseSlot(): void {
    this.reserved = Math.max(0, this.reserved - 1);
    while (this.slotWaiters.length > 0 && this.reserved < this.window) this.slotWaiters.shift()!();
  }

  private fail(err: PosdecomError): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of [...this.pending.values()]) p.reject(err);
    while (this.slotWaiters.length > 0) this.slotWaiters.shift()!();
    this.emit('failed', err);
  }

  async close(): Promise<void> {
    this.fail(new PosdecomError(ErrorCode.SessionClosed, 'session closed'));
    await this.link.close();
  }
}

/** Echoes remembered at most: far more than a window's worth of resent requests. */
const MAX_ECHOES = 256;
/** How far events and frame error reports may stretch an attempt's timer, in timeouts. */
const MAX_STRETCH = 2;
/** Events beyond this many times the per-second budget, within a second, are a flood. */
const EVENT_FLOOD_FACTOR = 10;

/** Discard reasons that line noise or a cut cable can cause; every other one needs an intact frame. */
const LINE_NOISE = new Set(['overlong', 'truncated', 'no-crc', 'crc']);

/** "crc: 3, unexpected: 1": what was dropped since `before`, for the technician. */
function discardedSince(before: Record<string, number>, now: Record<string, number>): string {
  return Object.entries(now)
    .map(([reason, n]) => [reason, n - (before[reason] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

import { EventEmitter } from 'node:events';
import { decodeFrame, type Frame } from '../frame.js';
import { Framer, type FramerEvent } from '../framer.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { Link } from '../../transport/link.js';
import {
  EVENT_TYPES,
  PROTOCOL_VERSION,
  type Catalogue,
  type HelloReply,
  type MessageType,
} from '../messages.js';
import type { PayloadEncoding } from '../payload.js';
import { BadFrames, LINE_NOISE } from './bad-frames.js';
import { EventBudget } from './event-budget.js';
import { checkHelloReply } from './hello.js';
import { PendingRequests } from './pending-requests.js';
import { refusal } from './refusal.js';
import { readReply } from './reply.js';
import {
  DEFAULT_SESSION_OPTIONS,
  type FrameObserver,
  type Negotiated,
  type Reply,
  type RequestOptions,
  type SessionCounters,
  type SessionOptions,
} from './types.js';
import { RequestWindow } from './window.js';

export * from './types.js';

/**
 * The agent's side of a session (SPEC.md s.5, s.7):
 *
 *   request() -> [window slot] -> register expectation -> write -> timer
 *   link bytes -> Framer -> decodeFrame -> match seq -> validate shape -> resolve
 *
 * A request is retransmitted with the same seq and bytes; the terminal's duplicate
 * suppression makes that safe, and destructive requests also carry an op id.
 *
 *   window.ts            slots: how many requests may be in flight
 *   pending-requests.ts  correlation, timers, retransmission
 *   echoes.ts            late answers our own resends still have coming
 *   bad-frames.ts        dropped frames: line noise or violations, and how many in a row
 *   event-budget.ts      the rate budget for unsolicited events, and the flood past it
 *   reply.ts             a reply checked against the catalogue, or the terminal's refusal
 */
export class Session extends EventEmitter {
  readonly options: SessionOptions;
  negotiated: Negotiated | undefined;
  readonly counters: SessionCounters = {
    framesOut: 0,
    framesIn: 0,
    retransmits: 0,
    discarded: {},
    eventsDropped: 0,
    unknownEvents: 0,
    fieldsDropped: 0,
  };
  private readonly framer: Framer;
  private readonly slots = new RequestWindow(() => this.window);
  private readonly badFrames: BadFrames;
  private readonly events: EventBudget;
  private readonly requests: PendingRequests;
  private failure: PosdecomError | undefined;
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
    this.badFrames = new BadFrames(this.counters.discarded, this.options);
    this.events = new EventBudget(this.options);
    this.requests = new PendingRequests({
      options: this.options,
      counters: this.counters,
      badFrames: this.badFrames,
      byteRate: () => this.link.byteRate,
      send: (bytes) => this.send(bytes),
      endlessBytes: () => this.framer.discardingBytes,
      releaseSlot: () => this.slots.release(),
    });
    this.framer = new Framer((e) => this.onFramerEvent(e), PRE_HELLO_MAX_LINE);
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
    return this.badFrames.noise;
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
    const proto = checkHelloReply(reply, this.options, offerEnc);
    this.negotiated = {
      proto,
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
      const answer = readReply(type, await this.exchange(type, header as Record<string, unknown>, options));
      if (answer.dropped > 0) {
        this.counters.fieldsDropped += answer.dropped;
        this.emit('fields-dropped', type, answer.dropped);
      }
      if (answer.ok) return answer.reply;
      const err = answer.refusal;
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
    await this.slots.acquire();
    if (this.failure) {
      this.slots.release();
      throw this.failure;
    }
    return this.requests.send(type, header, options);
  }

  private send(bytes: Buffer): void {
    this.counters.framesOut++;
    for (const o of this.observers) o('out', bytes, undefined);
    this.link.write(bytes).catch((err: unknown) => {
      this.fail(
        err instanceof PosdecomError
          ? err
          : new PosdecomError(ErrorCode.TransportWriteFailed, `write failed: ${(err as Error).message}`),
      );
    });
  }

  private onFramerEvent(e: FramerEvent): void {
    if (e.type === 'discarded') {
      if (e.reason !== 'empty') this.noteBad(e.reason, undefined);
      return;
    }
    const result = decodeFrame(e.line);
    if (!result.ok) {
      this.noteBad(result.reason, e.line);
      if (LINE_NOISE.has(result.reason) && !this.failure) this.requests.resendSpoiled(result.seq, e.line);
      return;
    }
    const frame = result.frame;
    this.counters.framesIn++;
    for (const o of this.observers) o('in', e.line, frame);
    if (frame.kind === 'E') {
      this.badFrames.good();
      this.requests.rearmAll(true);
      this.onEvent(frame);
      return;
    }
    if (frame.kind === 'X') {
      this.badFrames.good();
      this.requests.unreadable(frame.seq);
      return;
    }
    if (this.requests.takeEcho(frame)) return;
    const p = this.requests.answered(frame);
    if (!p) {
      this.noteBad('unexpected', e.line);
      return;
    }
    this.badFrames.good();
    this.requests.answer(p, frame);
  }

  private noteBad(reason: string, line: Buffer | undefined): void {
    const tooMany = this.badFrames.note(reason);
    this.emit('discard', reason, line?.length ?? 0);
    if (tooMany) this.fail(tooMany);
  }

  private onEvent(frame: Frame): void {
    const verdict = this.events.admit();
    if (verdict === 'deliver') {
      // s.6.19: an event this version does not define is ignored, and counted so a job can say so.
      if (EVENT_TYPES.has(frame.type)) this.emit('event', frame.type, frame.header);
      else this.counters.unknownEvents++;
      return;
    }
    this.counters.eventsDropped++;
    if (verdict === 'flood') this.fail(this.events.floodError());
  }

  private fail(err: PosdecomError): void {
    if (this.failure) return;
    this.failure = err;
    this.requests.rejectAll(err);
    this.slots.wakeAll();
    this.emit('failed', err);
  }

  async close(): Promise<void> {
    this.fail(new PosdecomError(ErrorCode.SessionClosed, 'session closed'));
    await this.link.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * s.2.2 holds every line to 1024 bytes until HELLO completes, the HELLO response included; we
 * accept up to this much from a terminal that overshoots, as liberal as the text allows.
 */
const PRE_HELLO_MAX_LINE = 4096;

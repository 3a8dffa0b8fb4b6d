import { decodeFrame, encodeFrame, type Frame } from '../frame.js';
import { Framer, type FramerEvent } from '../framer.js';
import { dispatch } from './handlers/dispatcher.js';
import { hello } from './handlers/session.js';
import { Pacer } from '../../simulator/pacer.js';
import { Refusal } from './handlers/refusal.js';
import type { ByteEndpoint } from '../../transport/memory-link.js';
import type { Device } from './device.js';
import type { Reply, Session } from './handlers/handler.js';

export interface Counters {
  framesIn: number;
  framesOut: number;
  executed: Record<string, number>;
  /** Requests answered from the duplicate cache instead of being executed (s.7.4). */
  duplicates: number;
  /** Lines dropped as corrupt, overlong or unexpected (s.2.3), or beyond the request queue. */
  badFrames: number;
}

interface Pending {
  frame: Frame;
  crc: string;
  arrivedAt: number;
  frameNumber: number;
}

/** Requests waiting to be processed; beyond this a flooding peer's frames are dropped. */
const MAX_QUEUE = 64;
/** X BADFRAME reports are advisory: never let a garbage flood fill the output with them. */
const MAX_QUEUED_OUTPUT_FOR_REPORTS = 16;
/**
 * Responses waiting for a slow line. Past this the terminal stops taking requests off its
 * queue, the queue fills, and further frames are dropped: a peer flooding READs cannot make
 * it buffer megabytes of responses. Well above any window, so it never slows a fair agent.
 */
const MAX_PENDING_OUTPUT = 32;

/**
 * One attachment of the cable: bytes in through a bounded Framer, requests processed strictly
 * in arrival order (s.7.3), responses out through the Pacer. Session state (HELLO's
 * negotiation, authorization, the duplicate cache) lives here and dies with the link; the
 * device's state does not.
 */
export class Connection {
  private readonly framer: Framer;
  private readonly pacer: Pacer;
  private session: Session | undefined;
  private readonly queue: Pending[] = [];
  private working = false;
  private closed = false;

  constructor(
    private readonly device: Device,
    private readonly endpoint: ByteEndpoint,
    private readonly counters: Counters,
    private readonly nextEventSeq: () => number,
    private readonly onGone: (c: Connection) => void,
  ) {
    this.framer = new Framer((event) => this.onLine(event));
    const deliver = (bytes: Buffer) => endpoint.write(device.faults.corrupt(bytes));
    this.pacer = new Pacer(deliver, () => this.hangUp(), device.options.baud / 10, device.options.lineClock);
    endpoint.onData((bytes) => {
      if (!this.closed) this.framer.push(bytes);
    });
    endpoint.onClose(() => this.dispose());
  }

  get live(): boolean {
    return !this.closed;
  }

  get inSession(): boolean {
    return !this.closed && this.session !== undefined;
  }

  /** An unsolicited event (s.6.19); only a session hears them. */
  event(type: string, header: Record<string, unknown>): void {
    if (!this.inSession) return;
    this.send({ seq: this.nextEventSeq(), kind: 'E', type, header }, this.device.options.lineClock.now());
  }

  /** The cable is pulled: whatever was queued before this moment still goes out first. */
  pull(): void {
    if (this.closed) return;
    this.queue.length = 0;
    this.pacer.send({ bytes: Buffer.alloc(0), notBefore: 0, pull: true });
  }

  hangUp(): void {
    if (this.closed) return;
    this.dispose();
    // Deferred so bytes already written reach the peer before the line drops.
    setImmediate(() => this.endpoint.close());
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.pacer.stop();
    this.onGone(this);
  }

  private onLine(event: FramerEvent): void {
    if (event.type === 'discarded') {
      if (event.reason === 'empty') return;
      this.counters.badFrames++;
      this.report(event.reason, 0);
      return;
    }
    const result = decodeFrame(event.line);
    if (!result.ok) {
      this.counters.badFrames++;
      this.report(result.reason, result.seq ?? 0);
      return;
    }
    // An agent sends only requests; anything else is dropped and counted (s.2.3 "unexpected").
    if (result.frame.kind !== 'Q' || this.queue.length >= MAX_QUEUE) {
      this.counters.badFrames++;
      return;
    }
    this.counters.framesIn++;
    const line = event.line;
    const crc = line.toString('latin1', line.length - 8);
    this.queue.push({
      frame: result.frame,
      crc,
      arrivedAt: this.device.options.lineClock.now(),
      frameNumber: this.counters.framesIn,
    });
    void this.work();
  }

  private report(reason: string, seq: number): void {
    if (this.pacer.pendingFrames >= MAX_QUEUED_OUTPUT_FOR_REPORTS) return;
    this.send({ seq, kind: 'X', type: 'BADFRAME', header: { reason } }, this.device.options.lineClock.now());
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let next = this.queue.shift(); next && !this.closed; next = this.queue.shift()) {
        await this.pacer.below(MAX_PENDING_OUTPUT);
        if (this.closed) break;
        try {
          await this.process(next);
        } catch (err) {
          // A simulator bug must not leave the request unanswered or the process crashed.
          const reply = new Refusal('INTERNAL', err instanceof Error ? err.message : String(err)).reply();
          this.send(
            { seq: next.frame.seq, kind: 'R', type: next.frame.type, header: reply },
            this.device.options.lineClock.now(),
          );
        }
      }
    } finally {
      this.working = false;
    }
  }

  private async process(p: Pending): Promise<void> {
    const { seq, type, header } = p.frame;
    const notBefore = p.arrivedAt + this.device.options.turnaroundMs + this.device.faults.slowMs;
    const cached = this.session?.dup.lookup(seq, p.crc);
    if (cached?.kind === 'replay') {
      this.counters.duplicates++;
      this.counters.framesOut++;
      this.pacer.send({ bytes: cached.bytes, notBefore });
      return;
    }
    if (cached?.kind === 'reexecute') this.counters.duplicates++;
    const { reply, session } = await this.execute(type, seq, header);
    if (this.closed) return;
    const frame: Frame = { seq, kind: 'R', type, header: reply.header };
    if (reply.data) frame.data = reply.data;
    const bytes = encodeFrame(frame);
    const target = session ?? this.session;
    // BUSY did nothing, so its retransmission must be executed, not answered from the cache.
    if (target && reply.header.code !== 'BUSY')
      target.dup.remember(seq, p.crc, bytes, reply.idempotent === true);
    if (session) {
      this.session = session;
      this.framer.setMaxLine(session.maxLine);
    }
    if (this.device.faults.pullOnRequest(p.frameNumber, type, header)) {
      this.pull();
      return;
    }
    this.counters.framesOut++;
    const cutAt =
      reply.cut === undefined
        ? undefined
        : Math.min(bytes.length - 1, Math.max(1, Math.floor(bytes.length * reply.cut)));
    this.pacer.send({ bytes, notBefore, ...(cutAt === undefined ? {} : { cutAt }) });
  }

  private async execute(
    type: string,
    seq: number,
    header: Record<string, unknown>,
  ): Promise<{ reply: Reply; session?: Session }> {
    const executed = (t: string) => {
      this.counters.executed[t] = (this.counters.executed[t] ?? 0) + 1;
    };
    if (type === 'HELLO') {
      try {
        const started = hello(this.device, header);
        executed(type);
        return started;
      } catch (err) {
        const refusal = err instanceof Refusal ? err : new Refusal('INTERNAL', String(err));
        return { reply: { header: refusal.reply() } };
      }
    }
    if (!this.session) {
      return { reply: { header: new Refusal('NO_SESSION', 'send HELLO first').reply() } };
    }
    return {
      reply: await dispatch(type, { device: this.device, session: this.session, seq, header }, executed),
    };
  }

  private send(frame: Frame, notBefore: number): void {
    this.counters.framesOut++;
    this.pacer.send({ bytes: encodeFrame(frame), notBefore });
  }
}

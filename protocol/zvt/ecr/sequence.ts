import { realClock, type Clock, type ClockTimer } from '../../clock.js';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../errors.js';
import { ACK, nack } from '../codec/commands.js';
import { apduName } from '../codec/prefixes.js';
import { decodeMessage, prefixField, type Message } from '../codec/message.js';
import { resultCodeOf } from '../codec/values.js';
import { resultText } from '../codec/result-codes.js';
import type { ApduLink } from '../link/apdu-link.js';
import { EvidenceCollector, timeoutMinutes, type Evidence, type ProgressEvent } from './evidence.js';
import { resolveTimers, type SequenceTimers } from './options.js';
import {
  start,
  step,
  type Action,
  type Finish,
  type PtApdu,
  type Reply,
  type TimerName,
  type Transition,
} from './sequence-machine.js';

/**
 * Runs one command's sequence over a link (serial or TCP alike): sends the command, feeds every
 * terminal APDU and timer to the transition table (sequence-machine.ts), and carries out what it
 * says: replies, repeats, timers, the outcome. One sequence at a time per link.
 */
export interface SequenceRequest {
  command: Buffer;
  /** The command ends at 80 00 (Log-Off). */
  ackOnly?: boolean;
  /** The ECR's answer to a terminal APDU while it holds master rights; 80 00 00 unless told. */
  answer?: (m: Message) => Reply;
  /** Sees each status information; 'consumed' (a Read File block) keeps it out of the evidence. */
  onStatusInformation?: (m: Message) => 'keep' | 'consumed';
  timers?: Partial<SequenceTimers>;
}

export type SequenceOutcome =
  | { kind: 'completed'; completion: Message; ack: Message | undefined; evidence: Evidence }
  | { kind: 'accepted'; ack: Message; evidence: Evidence }
  | { kind: 'aborted'; resultCode: number; resultText: string; abort: Message; evidence: Evidence }
  | { kind: 'refused'; code: number; resultText: string; evidence: Evidence };

export interface SequenceEngineOptions {
  timers?: Partial<SequenceTimers>;
  onProgress?: (e: ProgressEvent) => void;
  /** What T3, T4 and the other waits run on: real time, or a test's hand-driven clock. */
  clock?: Clock;
}

export class SequenceEngine {
  private handler: ((apdu: Buffer) => void) | undefined;
  private closeHandler: ((reason: Error | undefined) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** APDUs that arrived while no sequence was running (a terminal must not send then). */
  unsolicited = 0;

  constructor(
    private readonly link: ApduLink,
    private readonly options: SequenceEngineOptions = {},
  ) {
    link.onApdu((apdu) => (this.handler ? this.handler(apdu) : this.unsolicited++));
    link.onClose((reason) => this.closeHandler?.(reason));
  }

  run(req: SequenceRequest): Promise<SequenceOutcome> {
    const result = this.queue.then(() => this.execute(req));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private execute(req: SequenceRequest): Promise<SequenceOutcome> {
    return new Promise<SequenceOutcome>((resolve, reject) => {
      const run = new SequenceRun(this.link, this.options, req, {
        resolve,
        reject,
        detach: () => {
          this.handler = undefined;
          this.closeHandler = undefined;
        },
      });
      this.handler = (bytes) => run.onApdu(bytes);
      this.closeHandler = (reason) => run.onClose(reason);
      run.start();
    });
  }
}

interface RunCallbacks {
  resolve: (o: SequenceOutcome) => void;
  reject: (err: unknown) => void;
  /** Stop routing the link's APDUs and hang-ups to this run. */
  detach: () => void;
}

/** One command's sequence: its timers, the last terminal APDU, and the transition table's state. */
class SequenceRun {
  private readonly t: SequenceTimers;
  private readonly name: string;
  private readonly sentCommand: { cls: number; instr: number };
  private readonly evidence: EvidenceCollector;
  private readonly timers = new Map<TimerName | 'deadline', ClockTimer>();
  private readonly clock: Clock;
  private last: Message | undefined;
  private ack: Message | undefined;
  private lastSend: Promise<void> = Promise.resolve();
  private transition: Transition;
  private settled = false;

  constructor(
    private readonly link: ApduLink,
    options: SequenceEngineOptions,
    private readonly req: SequenceRequest,
    private readonly cb: RunCallbacks,
  ) {
    this.t = resolveTimers(options.timers, req.timers);
    this.clock = options.clock ?? realClock;
    this.name = apduName(req.command[0] ?? 0, req.command[1] ?? 0);
    this.sentCommand = { cls: req.command[0] ?? 0, instr: req.command[1] ?? 0 };
    this.evidence = new EvidenceCollector(this.t.maxEvidenceBytes, options.onProgress);
    this.transition = start(req.ackOnly === true, this.t);
  }

  start(): void {
    this.timers.set(
      'deadline',
      this.clock.setTimeout(() => this.feed({ type: 'deadline' }), this.t.maxSequenceMs),
    );
    for (const a of this.transition.actions) this.apply(a);
    if (this.link.closed) return this.onClose(undefined);
    this.send(this.req.command);
  }

  onApdu(bytes: Buffer): void {
    if (this.settled) return;
    const decoded = decodeMessage(bytes, { sentCommand: this.sentCommand });
    if (!decoded.ok) {
      return this.failWith(
        new PosdecomError(ErrorCode.SessionMalformed, `ZVT ${this.name}: ${decoded.reason}`),
      );
    }
    const m = decoded.message;
    const kind = classify(m);
    try {
      if (kind.kind === 'ack') this.ack = m;
      if (kind.kind === 'nack' && kind.code === 0x9c) this.evidence.pleaseWait();
      const isStatus = m.cls === 0x04 && m.instr === 0x0f;
      const consumed = isStatus && this.req.onStatusInformation?.(m) === 'consumed';
      if (kind.kind !== 'ack' && kind.kind !== 'nack') this.evidence.add(m, consumed);
      const reply = kind.kind === 'other' && this.req.answer ? this.req.answer(m) : 'ack';
      this.last = m;
      this.feed({ type: 'apdu', apdu: kind, reply });
    } catch (err) {
      this.failWith(err);
    }
  }

  onClose(reason: Error | undefined): void {
    this.failWith(
      new PosdecomError(
        ErrorCode.TransportDisconnected,
        `ZVT ${this.name}: link lost${reason ? `: ${reason.message}` : ''}`,
      ),
    );
  }

  private cleanup(): void {
    this.settled = true;
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.cb.detach();
  }

  private failWith(err: unknown): void {
    if (this.settled) return;
    this.cleanup();
    this.cb.reject(annotate(err, this.name));
  }

  private send(bytes: Buffer): void {
    this.lastSend = this.link.send(bytes);
    this.lastSend.catch((err: unknown) => this.failWith(err));
  }

  private feed(e: Parameters<typeof step>[1]): void {
    if (this.settled) return;
    this.transition = step(this.transition.state, e, this.t);
    for (const a of this.transition.actions) this.apply(a);
  }

  private apply(a: Action): void {
    switch (a.type) {
      case 'reply':
        return this.send(a.reply === 'ack' ? ACK : nack(a.reply.nack));
      case 'resend':
        return this.send(this.req.command);
      case 'arm':
        for (const n of ['t3', 't4', 'pause'] as const) this.clock.clearTimeout(this.timers.get(n));
        this.timers.set(
          a.timer,
          this.clock.setTimeout(() => this.feed({ type: 'timer', timer: a.timer }), a.ms),
        );
        return;
      case 'fail':
        return this.failWith(
          new PosdecomError(a.code, `ZVT ${this.name}: ${a.message}`, { command: this.name }),
        );
      case 'finish': {
        const outcome = this.finish(a.finish);
        this.cleanup();
        // The final 80 00 00 must have reached the terminal (ACKed on serial) before we report:
        // Delete File takes effect only then.
        this.lastSend.then(
          () => this.cb.resolve(outcome),
          (err: unknown) => this.cb.reject(annotate(err, this.name)),
        );
        return;
      }
    }
  }

  private finish(f: Finish): SequenceOutcome {
    const ev = this.evidence.result;
    const m = this.last;
    if (f === 'accepted' && this.ack) return { kind: 'accepted', ack: this.ack, evidence: ev };
    if (f === 'refused' && m) {
      return { kind: 'refused', code: m.instr, resultText: resultText(m.instr), evidence: ev };
    }
    if (f === 'aborted' && m) {
      const code = resultCodeOf(m) ?? 0xff;
      return { kind: 'aborted', resultCode: code, resultText: resultText(code), abort: m, evidence: ev };
    }
    if (!m) throw new Error('sequence finished without a message');
    return { kind: 'completed', completion: m, ack: this.ack, evidence: ev };
  }
}

function classify(m: Message): PtApdu {
  if (m.cls === 0x80) return { kind: 'ack' };
  if (m.cls === 0x84) return { kind: 'nack', code: m.instr };
  const code = m.cls * 256 + m.instr;
  if (code === 0x04ff) return { kind: 'intermediate', timeoutMinutes: timeoutMinutes(m) };
  if (code === 0x060f) return { kind: 'completion' };
  if (code === 0x061e && prefixField(m, 'resultCode')) return { kind: 'abort' };
  return { kind: 'other' };
}

function annotate(err: unknown, name: string): PosdecomError {
  if (isPosdecomError(err)) return err;
  return new PosdecomError(
    ErrorCode.SessionMalformed,
    `ZVT ${name}: ${err instanceof Error ? err.message : String(err)}`,
  );
}

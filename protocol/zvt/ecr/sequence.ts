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
    const t = resolveTimers(this.options.timers, req.timers);
    const name = apduName(req.command[0] ?? 0, req.command[1] ?? 0);
    const sentCommand = { cls: req.command[0] ?? 0, instr: req.command[1] ?? 0 };
    const evidence = new EvidenceCollector(t.maxEvidenceBytes, this.options.onProgress);
    return new Promise<SequenceOutcome>((resolve, reject) => {
      const timers = new Map<TimerName | 'deadline', NodeJS.Timeout>();
      let last: Message | undefined;
      let ack: Message | undefined;
      let lastSend: Promise<void> = Promise.resolve();
      let transition: Transition = start(req.ackOnly === true, t);
      let settled = false;

      const cleanup = () => {
        settled = true;
        for (const timer of timers.values()) clearTimeout(timer);
        this.handler = undefined;
        this.closeHandler = undefined;
      };
      const failWith = (err: unknown) => {
        if (settled) return;
        cleanup();
        reject(annotate(err, name));
      };
      const send = (bytes: Buffer) => {
        lastSend = this.link.send(bytes);
        lastSend.catch(failWith);
      };
      const feed = (e: Parameters<typeof step>[1]) => {
        if (settled) return;
        transition = step(transition.state, e, t);
        for (const a of transition.actions) apply(a);
      };
      const apply = (a: Action) => {
        switch (a.type) {
          case 'reply':
            return send(a.reply === 'ack' ? ACK : nack(a.reply.nack));
          case 'resend':
            return send(req.command);
          case 'arm':
            for (const n of ['t3', 't4', 'pause'] as const) clearTimeout(timers.get(n));
            timers.set(
              a.timer,
              setTimeout(() => feed({ type: 'timer', timer: a.timer }), a.ms),
            );
            return;
          case 'fail':
            return failWith(new PosdecomError(a.code, `ZVT ${name}: ${a.message}`, { command: name }));
          case 'finish': {
            const outcome = finish(a.finish);
            cleanup();
            // The final 80 00 00 must have reached the terminal (ACKed on serial) before we report:
            // Delete File takes effect only then.
            lastSend.then(
              () => resolve(outcome),
              (err: unknown) => reject(annotate(err, name)),
            );
            return;
          }
        }
      };
      const finish = (f: Finish): SequenceOutcome => {
        const ev = evidence.result;
        const m = last;
        if (f === 'accepted' && ack) return { kind: 'accepted', ack, evidence: ev };
        if (f === 'refused' && m) {
          return { kind: 'refused', code: m.instr, resultText: resultText(m.instr), evidence: ev };
        }
        if (f === 'aborted' && m) {
          const code = resultCodeOf(m) ?? 0xff;
          return { kind: 'aborted', resultCode: code, resultText: resultText(code), abort: m, evidence: ev };
        }
        if (!m) throw new Error('sequence finished without a message');
        return { kind: 'completed', completion: m, ack, evidence: ev };
      };

      this.handler = (bytes) => {
        if (settled) return;
        const decoded = decodeMessage(bytes, { sentCommand });
        if (!decoded.ok) {
          return failWith(new PosdecomError(ErrorCode.SessionMalformed, `ZVT ${name}: ${decoded.reason}`));
        }
        const m = decoded.message;
        const kind = classify(m);
        try {
          if (kind.kind === 'ack') ack = m;
          if (kind.kind === 'nack' && kind.code === 0x9c) evidence.pleaseWait();
          const isStatus = m.cls === 0x04 && m.instr === 0x0f;
          const consumed = isStatus && req.onStatusInformation?.(m) === 'consumed';
          if (kind.kind !== 'ack' && kind.kind !== 'nack') evidence.add(m, consumed);
          const reply = kind.kind === 'other' && req.answer ? req.answer(m) : 'ack';
          last = m;
          feed({ type: 'apdu', apdu: kind, reply });
        } catch (err) {
          failWith(err);
        }
      };
      this.closeHandler = (reason) =>
        failWith(
          new PosdecomError(
            ErrorCode.TransportDisconnected,
            `ZVT ${name}: link lost${reason ? `: ${reason.message}` : ''}`,
          ),
        );
      timers.set(
        'deadline',
        setTimeout(() => feed({ type: 'deadline' }), t.maxSequenceMs),
      );
      for (const a of transition.actions) apply(a);
      if (this.link.closed) return this.closeHandler(undefined);
      send(req.command);
    });
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

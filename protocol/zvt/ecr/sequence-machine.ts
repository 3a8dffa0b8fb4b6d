import { ErrorCode } from '../../errors.js';
import type { SequenceTimers } from './options.js';

/**
 * One command's life on the ECR side as a pure transition table (PA00P016 3.4, PA00P015 ch. 1):
 * no I/O, no clock. sequence.ts runs it.
 *
 *   awaiting-ack --80 00--> master (terminal holds master rights)      [--> done, for Log-Off]
 *        |   '--84 9C--> please-wait --80 00--> master
 *        |                    '--pause over--> awaiting-ack (command sent again)
 *        '--84 xx--> done (refused)
 *   master --04 FF, 04 0F, 06 D1, 06 D3, ...--> master (each answered, T4 restarted)
 *          --06 0F--> done (completed)   --06 1E--> done (aborted)
 *
 * T4 restarts with every terminal APDU; a 04 FF timeout byte above zero sets the next wait to
 * that many minutes instead, and zero or no byte leaves it at T4 (it never shortens to nothing).
 */
export type Reply = 'ack' | { nack: number };

export type PtApdu =
  | { kind: 'ack' }
  | { kind: 'nack'; code: number }
  | { kind: 'intermediate'; timeoutMinutes: number | undefined }
  | { kind: 'completion' }
  | { kind: 'abort' }
  | { kind: 'other' };

export type MachineEvent =
  { type: 'apdu'; apdu: PtApdu; reply: Reply } | { type: 'timer'; timer: TimerName } | { type: 'deadline' };

export type TimerName = 't3' | 't4' | 'pause';
type LinkEvent = Exclude<MachineEvent, { type: 'deadline' }>;
export type Finish = 'completed' | 'aborted' | 'refused' | 'accepted';

export type Action =
  | { type: 'reply'; reply: Reply }
  | { type: 'resend' }
  | { type: 'arm'; timer: TimerName; ms: number }
  | { type: 'finish'; finish: Finish }
  | { type: 'fail'; code: ErrorCode; message: string };

export interface MachineState {
  phase: 'awaiting-ack' | 'please-wait' | 'master' | 'done';
  /** The command ends at the terminal's 80 00 (Log-Off). */
  ackOnly: boolean;
  pleaseWaits: number;
  intermediates: number;
  apdus: number;
}

export interface Transition {
  state: MachineState;
  actions: Action[];
}

const PLEASE_WAIT = 0x9c;

export function start(ackOnly: boolean, t: SequenceTimers): Transition {
  return {
    state: { phase: 'awaiting-ack', ackOnly, pleaseWaits: 0, intermediates: 0, apdus: 0 },
    actions: [{ type: 'arm', timer: 't3', ms: t.t3Ms }],
  };
}

export function step(s: MachineState, e: MachineEvent, t: SequenceTimers): Transition {
  if (s.phase === 'done') return { state: s, actions: [] };
  if (e.type === 'deadline')
    return fail(s, ErrorCode.SessionTimeout, `sequence still running after ${t.maxSequenceMs} ms`);
  if (s.phase === 'master') return inMaster(s, e, t);
  return beforeAck(s, e, t);
}

function beforeAck(s: MachineState, e: LinkEvent, t: SequenceTimers): Transition {
  if (e.type === 'timer') {
    if (e.timer === 'pause' && s.phase === 'please-wait') {
      return { state: { ...s, phase: 'awaiting-ack' }, actions: [{ type: 'resend' }, arm('t3', t.t3Ms)] };
    }
    if (e.timer === 't3' && s.phase === 'awaiting-ack') {
      return fail(s, ErrorCode.SessionTerminalSilent, `no 80 00 or 84 xx within T3 (${t.t3Ms} ms)`);
    }
    return { state: s, actions: [] };
  }
  const a = e.apdu;
  if (a.kind === 'ack') {
    if (s.ackOnly)
      return { state: { ...s, phase: 'done' }, actions: [{ type: 'finish', finish: 'accepted' }] };
    return { state: { ...s, phase: 'master' }, actions: [arm('t4', t.t4Ms)] };
  }
  if (a.kind === 'nack' && a.code === PLEASE_WAIT) {
    const pleaseWaits = s.pleaseWaits + 1;
    if (pleaseWaits > t.maxPleaseWait) {
      return fail(
        s,
        ErrorCode.SessionTimeout,
        `terminal answered "please wait" (84 9C) ${pleaseWaits} times`,
      );
    }
    return { state: { ...s, phase: 'please-wait', pleaseWaits }, actions: [arm('pause', t.pleaseWaitMs)] };
  }
  if (a.kind === 'nack')
    return { state: { ...s, phase: 'done' }, actions: [{ type: 'finish', finish: 'refused' }] };
  return fail(
    s,
    ErrorCode.SessionUnexpectedReply,
    `terminal sent ${a.kind} before acknowledging the command`,
  );
}

function inMaster(s: MachineState, e: LinkEvent, t: SequenceTimers): Transition {
  if (e.type === 'timer') {
    if (e.timer !== 't4') return { state: s, actions: [] };
    return fail(
      s,
      ErrorCode.SessionTimeout,
      'no completion: the terminal went silent while holding master rights (T4)',
    );
  }
  const a = e.apdu;
  const done = (finish: Finish): Transition => ({
    state: { ...s, phase: 'done' },
    actions: [
      { type: 'reply', reply: 'ack' },
      { type: 'finish', finish },
    ],
  });
  switch (a.kind) {
    case 'completion':
      return done('completed');
    case 'abort':
      return done('aborted');
    case 'intermediate': {
      const intermediates = s.intermediates + 1;
      if (intermediates > t.maxIntermediate) {
        return fail(
          s,
          ErrorCode.SessionHostile,
          `more than ${t.maxIntermediate} intermediate statuses in one sequence`,
        );
      }
      const minutes = a.timeoutMinutes ?? 0;
      const wait = minutes > 0 ? minutes * t.timeoutByteUnitMs : t.t4Ms;
      return {
        state: { ...s, intermediates },
        actions: [{ type: 'reply', reply: e.reply }, arm('t4', wait)],
      };
    }
    default: {
      const apdus = s.apdus + 1;
      if (apdus > t.maxApdus)
        return fail(s, ErrorCode.SessionHostile, `more than ${t.maxApdus} APDUs in one sequence`);
      // An acknowledgement is never acknowledged: 80 00 / 84 xx while we wait is counted, not answered.
      const actions: Action[] =
        a.kind === 'ack' || a.kind === 'nack' ? [] : [{ type: 'reply', reply: e.reply }];
      return { state: { ...s, apdus }, actions: [...actions, arm('t4', t.t4Ms)] };
    }
  }
}

function arm(timer: TimerName, ms: number): Action {
  return { type: 'arm', timer, ms };
}

function fail(s: MachineState, code: ErrorCode, message: string): Transition {
  return { state: { ...s, phase: 'done' }, actions: [{ type: 'fail', code, message }] };
}

import { delay, realClock, type Clock, type ClockTimer } from '../../clock.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import { apduName } from '../codec/prefixes.js';
import { newCounters, writeTo, type ApduLink, type ByteChannel, type LinkCounters } from './apdu-link.js';
import { SerialFrameParser, type FrameEvent } from './frame-parser.js';
import { ACK, NAK, encodeSerialFrame } from './serial-frame.js';

/**
 * ZVT over a serial line (PA00P016 3.2-3.4), the same code on both ends: the ECR's side in the
 * agent and the terminal's side in the simulator.
 *
 * Sending: one frame at a time; the receiver answers ACK or NAK within T2 (5 s); on NAK or
 * silence the frame is repeated at most twice, then the send fails with a transport error.
 * Receiving: every good frame is ACKed, every bad one (bad CRC, lone DLE, length that disagrees
 * with the data, cut off for T1 = 200 ms between bytes) NAKed and counted.
 *
 * ZVT has no sequence numbers, so a repeat after a lost or late ACK would arrive as a second
 * APDU. The protocol is strictly one APDU each way in turn, so a frame identical to the last one
 * received, arriving before we have sent a frame of our own, can only be such a repeat: it is
 * ACKed again and not delivered twice.
 */
export interface SerialTimers {
  /** Longest gap between two bytes of a frame. */
  t1Ms: number;
  /** Wait for ACK/NAK after a frame. */
  t2Ms: number;
  /** Repeats after the first send. */
  maxRepeats: number;
}

export const DEFAULT_SERIAL_TIMERS: SerialTimers = { t1Ms: 200, t2Ms: 5000, maxRepeats: 2 };

/** The simulator's transport faults; the agent never sets them. */
export interface SerialFaultHooks {
  corruptCrc?: () => boolean;
  forceNak?: () => boolean;
  ackDelayMs?: number;
}

export interface SerialLinkOptions extends Partial<SerialTimers> {
  maxApduBytes?: number;
  hooks?: SerialFaultHooks;
  description?: string;
  /** What T1, T2 and a slowed ACK run on (the simulator's line clock; real time otherwise). */
  clock?: Clock;
}

type AckOutcome = 'ack' | 'nak' | 'timeout' | 'closed';

export class SerialApduLink implements ApduLink {
  readonly kind = 'serial' as const;
  readonly counters: LinkCounters = newCounters();
  private readonly timers: SerialTimers;
  private readonly hooks: SerialFaultHooks;
  private readonly parser: SerialFrameParser;
  private readonly apduListeners: ((apdu: Buffer) => void)[] = [];
  private readonly closeListeners: ((reason: Error | undefined) => void)[] = [];
  private readonly clock: Clock;
  private t1: ClockTimer | undefined;
  private waiter: { settle: (o: AckOutcome) => void; timer: ClockTimer | undefined } | undefined;
  private sendChain: Promise<void> = Promise.resolve();
  private controlChain: Promise<void> = Promise.resolve();
  private lastReceived: Buffer | undefined;
  private sentSinceReceived = true;
  private closedByUs = false;
  closed = false;

  constructor(
    private readonly channel: ByteChannel,
    options: SerialLinkOptions = {},
  ) {
    this.timers = {
      t1Ms: options.t1Ms ?? DEFAULT_SERIAL_TIMERS.t1Ms,
      t2Ms: options.t2Ms ?? DEFAULT_SERIAL_TIMERS.t2Ms,
      maxRepeats: options.maxRepeats ?? DEFAULT_SERIAL_TIMERS.maxRepeats,
    };
    this.hooks = options.hooks ?? {};
    this.clock = options.clock ?? realClock;
    this.parser = new SerialFrameParser((e) => this.onEvent(e), options.maxApduBytes);
    channel.onData((bytes) => this.onBytes(bytes));
    channel.onClose((reason) => this.gone(reason));
  }

  send(apdu: Buffer): Promise<void> {
    const sent = this.sendChain.then(() => this.transmit(apdu));
    this.sendChain = sent.catch(() => undefined);
    return sent;
  }

  onApdu(listener: (apdu: Buffer) => void): void {
    this.apduListeners.push(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closedByUs = true;
    this.gone(undefined);
    await Promise.resolve(this.channel.close());
  }

  private async transmit(apdu: Buffer): Promise<void> {
    const what = apduName(apdu[0] ?? 0, apdu[1] ?? 0);
    const outcomes: AckOutcome[] = [];
    for (let attempt = 0; attempt <= this.timers.maxRepeats; attempt++) {
      if (this.closed) throw disconnected(what);
      if (attempt > 0) this.counters.repeats++;
      // The ACK is expected before the frame is written (it can be quicker than the write's
      // callback); T2 runs from the end of the write, so a long frame on a slow line is not
      // repeated while it is still going out.
      const answer = this.expectAck();
      this.sentSinceReceived = true;
      writeTo(this.channel, encodeSerialFrame(apdu, this.hooks.corruptCrc?.() ?? false)).then(
        () => this.armT2(),
        (err: unknown) => this.gone(err instanceof Error ? err : undefined),
      );
      const outcome = await answer;
      if (outcome === 'ack') {
        this.counters.apdusSent++;
        return;
      }
      if (outcome === 'closed') throw disconnected(what);
      outcomes.push(outcome);
    }
    throw new PosdecomError(
      ErrorCode.TransportWriteFailed,
      `ZVT serial: ${what} not acknowledged after ${outcomes.length} sends (${outcomes.join(', ')})`,
      { apdu: what, outcomes },
    );
  }

  private expectAck(): Promise<AckOutcome> {
    return new Promise((resolve) => {
      const waiter = {
        timer: undefined as ClockTimer | undefined,
        settle: (o: AckOutcome) => {
          this.clock.clearTimeout(waiter.timer);
          if (this.waiter === waiter) this.waiter = undefined;
          resolve(o);
        },
      };
      this.waiter = waiter;
    });
  }

  private armT2(): void {
    const waiter = this.waiter;
    if (!waiter || waiter.timer) return;
    waiter.timer = this.clock.setTimeout(() => {
      this.counters.ackTimeouts++;
      waiter.settle('timeout');
    }, this.timers.t2Ms);
  }

  private onBytes(bytes: Buffer): void {
    if (this.closed) return;
    this.parser.push(bytes);
    this.clock.clearTimeout(this.t1);
    this.t1 = this.parser.inFrame
      ? this.clock.setTimeout(() => this.parser.timeout(), this.timers.t1Ms)
      : undefined;
  }

  private onEvent(e: FrameEvent): void {
    switch (e.type) {
      case 'frame':
        return this.received(e.apdu);
      case 'ack':
      case 'nak':
        if (!this.waiter) {
          this.counters.strayAckBytes++;
          return;
        }
        if (e.type === 'ack') this.counters.acksReceived++;
        else this.counters.naksReceived++;
        return this.waiter.settle(e.type);
      case 'noise':
        this.counters.noiseBytes += e.bytes;
        return;
      case 'rejected':
        this.counters[REJECT_COUNTER[e.reason]]++;
        return this.control(NAK);
    }
  }

  private received(apdu: Buffer): void {
    if (this.hooks.forceNak?.()) return this.control(NAK);
    const repeat = !this.sentSinceReceived && this.lastReceived?.equals(apdu) === true;
    this.lastReceived = apdu;
    this.sentSinceReceived = false;
    this.control(ACK, () => {
      if (repeat) {
        this.counters.duplicates++;
        return;
      }
      this.counters.apdusReceived++;
      for (const l of this.apduListeners) l(apdu);
    });
  }

  /** ACK or NAK, then (for an ACK) the delivery: in arrival order even when ACKs are slowed down. */
  private control(byte: number, then?: () => void): void {
    const write = () => {
      if (this.closed) return;
      if (byte === ACK) this.counters.acksSent++;
      else this.counters.naksSent++;
      writeTo(this.channel, Buffer.from([byte])).catch((err: unknown) =>
        this.gone(err instanceof Error ? err : undefined),
      );
      then?.();
    };
    const ms = this.hooks.ackDelayMs ?? 0;
    if (ms <= 0) return write();
    this.controlChain = this.controlChain.then(() => delay(this.clock, ms).then(write));
  }

  private gone(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.t1);
    this.waiter?.settle('closed');
    if (!this.closedByUs) for (const l of this.closeListeners) l(reason);
  }
}

const REJECT_COUNTER = {
  'bad-crc': 'badCrc',
  'lone-dle': 'loneDle',
  truncated: 'truncated',
  overlong: 'overlong',
  'length-mismatch': 'lengthMismatch',
} as const;

function disconnected(what: string): PosdecomError {
  return new PosdecomError(ErrorCode.TransportDisconnected, `ZVT serial: link lost while sending ${what}`);
}

import { delay, type Clock, type ClockTimer } from '../../clock.js';
import { ACK, nack } from '../codec/commands.js';
import type { ApduLink } from '../link/apdu-link.js';

/**
 * The terminal's half of one sequence (PA00P015 ch. 1, master rights): it answers the command
 * with 80 00 00 or 84 xx, then sends its APDUs one at a time and waits, after each, for the ECR's
 * 80 00 00 (go on) or 84 xx (stop). It never sends the next APDU before that answer arrives.
 */
export type EcrReply = 'ack' | { nack: number };

export class SequenceEnded extends Error {
  override readonly name = 'SequenceEnded';
}

export interface ConversationOptions {
  replyTimeoutMs: number;
  turnaroundMs: number;
  clock: Clock;
  /** Called after the terminal's Nth APDU of this sequence went out (the drop fault listens). */
  afterSend: (sent: number) => void;
}

export class Conversation {
  private waiting: { resolve: (r: EcrReply) => void; reject: (e: Error) => void } | undefined;
  /** APDUs sent in this sequence after the command was acknowledged. */
  sent = 0;

  constructor(
    private readonly link: ApduLink,
    private readonly options: ConversationOptions,
  ) {}

  /** Offered each APDU from the ECR: true when it was the answer this sequence waited for. */
  offer(apdu: Buffer): boolean {
    if (!this.waiting) return false;
    const cls = apdu[0];
    if (cls !== 0x80 && cls !== 0x84) return false;
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve(cls === 0x80 ? 'ack' : { nack: apdu[1] ?? 0 });
    return true;
  }

  /** The link went away: whatever waits for the ECR ends. */
  end(reason: string): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(new SequenceEnded(reason));
  }

  async acknowledge(): Promise<void> {
    await this.pause();
    await this.link.send(ACK);
  }

  async refuse(code: number): Promise<void> {
    await this.pause();
    await this.link.send(nack(code));
  }

  /** Sends one APDU while holding master rights and returns the ECR's answer to it. */
  async exchange(apdu: Buffer): Promise<EcrReply> {
    await this.pause();
    const { clock } = this.options;
    let timer: ClockTimer | undefined;
    // Waiting starts before the APDU goes out (the answer may be quicker than our send's callback);
    // the clock starts once it is out, so a slow line does not eat the ECR's time.
    const answer = new Promise<EcrReply>((resolve, reject) => {
      this.waiting = {
        resolve: (r) => {
          clock.clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clock.clearTimeout(timer);
          reject(e);
        },
      };
    });
    answer.catch(() => undefined);
    try {
      await this.link.send(apdu);
    } catch (err) {
      this.end(err instanceof Error ? err.message : String(err));
      throw err;
    }
    if (this.waiting) {
      timer = clock.setTimeout(
        () => this.end(`no 80 00 00 from the ECR within ${this.options.replyTimeoutMs} ms`),
        this.options.replyTimeoutMs,
      );
    }
    this.sent++;
    this.options.afterSend(this.sent);
    return answer;
  }

  private pause(): Promise<void> {
    const ms = this.options.turnaroundMs;
    return ms > 0 ? delay(this.options.clock, ms) : Promise.resolve();
  }
}

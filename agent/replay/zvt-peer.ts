import type { ByteEndpoint } from '../../protocol/transport/memory-link.js';
import type { AttachablePeer } from '../../protocol/transport/sim-registry.js';
import { SerialApduLink, apduName, maskApdu, type ApduLink } from '../../protocol/zvt/index.js';
import { zvtFileHoldsCardData } from '../transcript/zvt-entries.js';
import type { Divergence } from './link.js';
import type { StepTally } from './peer.js';
import type { ZvtScriptApdu, ZvtScriptRun, ZvtScriptSession } from './zvt-script.js';

/**
 * The ZVT terminal a replayed run talks to: each link the agent opens gets the next recorded
 * session, on the same serial link code a terminal runs. ZVT strictly alternates, so replay is a
 * walk down the recording: a recorded terminal APDU is sent once everything the agent recorded
 * before it has arrived and matched; each APDU the agent sends must equal the recorded one
 * after the same masking (so the password, which the recording zeroed, is not compared).
 * At the first difference the replay answers the agent with refusals, so it stops at once.
 */
const PROTOCOL_ERROR = Buffer.from([0x84, 0x9a, 0x00]);
const ABORT_PROTOCOL_ERROR = Buffer.from([0x06, 0x1e, 0x01, 0x9a]);

export class ZvtReplayPeer implements AttachablePeer {
  divergence: Divergence | undefined;
  lastStep = 'connect';
  readonly run: number;
  readonly stallMs: number;
  private readonly links: ZvtReplayLink[] = [];
  private readonly tallies = new Map<string, StepTally>();
  private readonly positions = new Map<ZvtScriptApdu, number>();

  constructor(
    private readonly script: ZvtScriptRun,
    o: { stallMs?: number } = {},
  ) {
    this.run = script.index;
    this.stallMs = o.stallMs ?? 15_000;
    for (const a of script.sessions.flatMap((s) => s.apdus)) {
      if (a.dir !== 'out') continue;
      this.positions.set(a, this.positions.size + 1);
      const t = this.tallies.get(a.step) ?? { step: a.step, recorded: 0, matched: 0 };
      t.recorded++;
      this.tallies.set(a.step, t);
    }
  }

  get dead(): boolean {
    return this.divergence !== undefined;
  }

  attach(endpoint: ByteEndpoint): void {
    const session = this.script.sessions[this.links.length];
    if (!session && !this.dead) {
      this.diverge({
        kind: 'link',
        step: this.lastStep,
        message: `the agent opened link ${this.links.length + 1}; the recording has ${this.script.sessions.length}`,
      });
    }
    this.links.push(new ZvtReplayLink(this, endpoint, session));
  }

  diverge(d: Omit<Divergence, 'run'>): void {
    if (this.divergence) return;
    this.divergence = { run: this.run, ...d };
  }

  matched(recorded: ZvtScriptApdu): void {
    this.lastStep = recorded.step;
    const t = this.tallies.get(recorded.step);
    if (t) t.matched++;
  }

  positionOf(recorded: ZvtScriptApdu): number {
    return this.positions.get(recorded) ?? 0;
  }

  /** After the agent finished: a recorded APDU it never sent is the first thing it did differently. */
  finish(): { steps: StepTally[]; links: number } {
    for (const l of this.links) l.stop();
    if (!this.dead) {
      const missing = this.script.sessions
        .map(
          (s, i) =>
            this.links[i]?.unsent ??
            (i >= this.links.length ? s.apdus.find((a) => a.dir === 'out') : undefined),
        )
        .find((a): a is ZvtScriptApdu => a !== undefined);
      if (missing) {
        this.diverge({
          kind: 'missing',
          step: missing.step,
          request: this.positionOf(missing),
          line: missing.lineNo,
          message: `the agent ended without sending the recorded ${describe(missing.bytes)}`,
          diff: [`- ${missing.bytes.toString('hex')}`],
        });
      }
    }
    return { steps: [...this.tallies.values()], links: this.links.length };
  }
}

function describe(apdu: Buffer): string {
  return `${apduName(apdu[0] ?? 0, apdu[1] ?? 0)} (${apdu.subarray(0, 2).toString('hex')})`;
}

class ZvtReplayLink {
  private cursor = 0;
  private readonly apdus: ZvtScriptApdu[];
  private readonly link: ApduLink;
  private sending: Promise<void> = Promise.resolve();
  private stall: NodeJS.Timeout | undefined;
  /** An Abort went to the agent: its 80 00 00 to it is not an APDU to answer. */
  private aborted = false;

  constructor(
    private readonly owner: ZvtReplayPeer,
    private readonly endpoint: ByteEndpoint,
    private readonly session: ZvtScriptSession | undefined,
  ) {
    this.apdus = session?.apdus ?? [];
    this.link = new SerialApduLink(endpoint);
    this.link.onApdu((apdu) => this.received(apdu));
    setImmediate(() => this.pump());
  }

  get unsent(): ZvtScriptApdu | undefined {
    return this.apdus.slice(this.cursor).find((a) => a.dir === 'out');
  }

  stop(): void {
    if (this.stall) clearTimeout(this.stall);
    this.stall = undefined;
  }

  private received(live: Buffer): void {
    this.stop();
    if (this.owner.dead) return this.refuse(live);
    const next = this.apdus[this.cursor];
    // The recorded terminal hung up here: it never saw this APDU, and neither do we.
    if (!next && this.session?.end === 'link') return;
    const masked = maskApdu(live, { fileHoldsCardData: zvtFileHoldsCardData }).bytes;
    if (!next || next.dir !== 'out' || !masked.equals(next.bytes)) {
      this.owner.diverge({
        kind: next ? 'mismatch' : 'unexpected',
        ...(this.session ? { session: this.session.n } : {}),
        step: next?.step ?? this.owner.lastStep,
        ...(next ? { request: this.owner.positionOf(next), line: next.lineNo } : {}),
        message: next
          ? `the agent sent ${describe(live)} where the recording has ${next.dir === 'out' ? describe(next.bytes) : 'the terminal speaking next'}`
          : `the agent sent ${describe(live)} after the last APDU of the recorded session`,
        diff: [...(next ? [`- ${next.bytes.toString('hex')}`] : []), `+ ${masked.toString('hex')}`],
      });
      return this.refuse(live);
    }
    this.owner.matched(next);
    this.cursor++;
    this.pump();
  }

  /** Sends the recorded terminal APDUs that come next, in order, each once the last is taken. */
  private pump(): void {
    while (!this.owner.dead && this.apdus[this.cursor]?.dir === 'in') {
      const apdu = this.apdus[this.cursor++]!.bytes;
      this.sending = this.sending.then(() => this.link.send(apdu)).catch(() => undefined);
    }
    if (this.cursor === this.apdus.length && this.session?.end === 'link') {
      void this.sending.then(() => setImmediate(() => this.endpoint.close()));
      return;
    }
    this.armStall();
  }

  /**
   * After a divergence: a command is refused (84 9A); an answer to a terminal APDU gets an Abort
   * (06 1E 9A), whose own acknowledgement is let be. Either way the agent's sequence ends at once.
   */
  private refuse(live: Buffer): void {
    const isAnswer = live[0] === 0x80 || live[0] === 0x84;
    if (isAnswer && this.aborted) {
      this.aborted = false;
      return;
    }
    this.aborted = isAnswer;
    const answer = isAnswer ? ABORT_PROTOCOL_ERROR : PROTOCOL_ERROR;
    this.sending = this.sending.then(() => this.link.send(answer)).catch(() => undefined);
  }

  private armStall(): void {
    this.stop();
    const next = this.apdus[this.cursor];
    if (!next || this.owner.dead) return;
    this.stall = setTimeout(() => {
      this.owner.diverge({
        kind: 'stalled',
        ...(this.session ? { session: this.session.n } : {}),
        step: next.step,
        request: this.owner.positionOf(next),
        line: next.lineNo,
        message: `the agent did not send the recorded ${describe(next.bytes)} within ${this.owner.stallMs} ms`,
        diff: [`- ${next.bytes.toString('hex')}`],
      });
      this.endpoint.close();
    }, this.owner.stallMs);
    this.stall.unref();
  }
}

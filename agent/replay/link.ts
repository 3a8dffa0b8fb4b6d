import { decodeFrame, encodeFrame, formatSeq, type Frame } from '../../protocol/line/frame.js';
import { ABSOLUTE_MAX_LINE, Framer } from '../../protocol/line/framer.js';
import type { ByteEndpoint } from '../../protocol/transport/memory-link.js';
import type { DigestRepair } from './digests.js';
import { lineDiff, normalisedLines, sameRequest } from './normalise.js';
import type { ScriptFrame, ScriptSession } from './script.js';
import { withSeq } from '../transcript/mask.js';

/** Where a replay first parted from the recording. */
export interface Divergence {
  kind: 'mismatch' | 'unexpected' | 'missing' | 'stalled' | 'link' | 'exit-code';
  run: number;
  /** Recorded session (link) number within the run. */
  session?: number;
  step: string;
  /** Position of the recorded request among all requests of the run, 1-based. */
  request?: number;
  /** Line of the transcript file holding the recorded request. */
  line?: number;
  message: string;
  /** "- " recorded, "+ " sent by the agent, "  " both. */
  diff?: string[];
}

/**
 * One link of a replay: the terminal's side of one recorded session. A recorded answer is sent
 * once every request recorded before it has arrived and matched, so windowed READs, events and
 * a terminal that stays silent until a retransmission all happen at the same point of the
 * conversation as they did live:
 *
 *   agent line -> Framer -> decode -> match next recorded request -> answer what followed it
 *
 * A request that does not match stops the replay: it and everything after it get an INTERNAL
 * error, so the agent ends quickly instead of waiting out its timeouts.
 */
export interface LinkOwner {
  readonly dead: boolean;
  readonly digests: DigestRepair;
  diverge(d: Omit<Divergence, 'run'>): void;
  matched(recorded: ScriptFrame, live: Frame): void;
  /** The live op id for a recorded one (op ids carry a random job id; answers echo them). */
  liveOp(recorded: string): string | undefined;
  /** The run-wide position (1-based) of a recorded request, and of the next live one. */
  positionOf(recorded: ScriptFrame): number;
  nextLiveRequest(): number;
  tamper: ((request: Frame, index: number, run: number) => Frame) | undefined;
  readonly run: number;
  stallMs: number;
  retransmitWaitMs: number;
  lastStep: string;
}

const LF = Buffer.of(0x0a);

export class ReplayLink {
  private cursor = 0;
  /** Recorded seq -> the live seq of the request that matched it. */
  private readonly seqs = new Map<number, number>();
  /** Live requests not answered yet: seq -> type. */
  private readonly waiting = new Map<number, string>();
  private stall: NodeJS.Timeout | undefined;
  private readonly frames: ScriptFrame[];
  /** Recorded requests that repeat an earlier one byte for byte: the agent resent them after a timeout. */
  private readonly resends = new Set<ScriptFrame>();

  constructor(
    private readonly owner: LinkOwner,
    private readonly endpoint: ByteEndpoint,
    private readonly script: ScriptSession | undefined,
  ) {
    this.frames = script?.frames ?? [];
    const seen = new Set<string>();
    for (const f of this.frames) {
      if (f.dir !== 'out') continue;
      const key = f.bytes.toString('latin1');
      if (seen.has(key)) this.resends.add(f);
      seen.add(key);
    }
    const framer = new Framer((e) => {
      if (e.type === 'line') this.onLine(e.line);
    }, ABSOLUTE_MAX_LINE);
    endpoint.onData((bytes) => framer.push(bytes));
    endpoint.onClose(() => this.clearStall());
    setImmediate(() => this.pump());
  }

  /** The next recorded request not yet received, if any. */
  get unsent(): ScriptFrame | undefined {
    return this.frames.slice(this.cursor).find((f) => f.dir === 'out');
  }

  /** After a divergence: answer whatever the agent still waits for, so it stops at once. */
  refuseWaiting(): void {
    this.clearStall();
    for (const [seq, type] of [...this.waiting]) this.refuse(seq, type);
  }

  private onLine(line: Buffer): void {
    const decoded = decodeFrame(line);
    if (!decoded.ok || decoded.frame.kind !== 'Q') return;
    const index = this.owner.nextLiveRequest();
    const sent = decoded.frame;
    const frame = this.owner.tamper ? this.owner.tamper(sent, index, this.owner.run) : sent;
    if (this.owner.dead) return this.refuse(sent.seq, sent.type);
    const next = this.frames[this.cursor];
    // The recorded terminal hung up here: it never saw this request, and neither do we.
    if (!next && this.script?.end === 'link') return;
    // Keyed by what the agent sent: a refusal must answer the request it is waiting on.
    this.waiting.set(sent.seq, sent.type);
    if (!next) {
      this.owner.diverge({
        kind: 'unexpected',
        session: this.script?.n,
        step: this.owner.lastStep,
        message: this.script
          ? `the agent sent ${frame.type} after the last request of recorded session ${this.script.n}`
          : `the agent sent ${frame.type} on a link the recording does not have`,
        diff: lineDiff([], normalisedLines(frame)),
      });
      return;
    }
    if (!sameRequest(next.frame, frame)) {
      this.owner.diverge({
        kind: 'mismatch',
        session: this.script?.n,
        step: next.step,
        request: this.owner.positionOf(next),
        line: next.lineNo,
        message: `the agent sent ${frame.type} where the recording has ${next.frame.type}${frame.type === next.frame.type ? ' with a different header' : ''}`,
        diff: lineDiff(normalisedLines(next.frame), normalisedLines(frame)),
      });
      return;
    }
    this.owner.matched(next, frame);
    this.seqs.set(next.frame.seq, sent.seq);
    this.cursor++;
    this.pump();
  }

  private pump(): void {
    while (!this.owner.dead && this.frames[this.cursor]?.dir === 'in')
      this.serve(this.frames[this.cursor++]!);
    // Answers already written reach the agent before the hang-up: both go through setImmediate.
    if (this.script?.end === 'link' && this.cursor === this.frames.length)
      setImmediate(() => this.endpoint.close());
    this.armStall();
  }

  private serve(recorded: ScriptFrame): void {
    const f = recorded.frame;
    const live = f.kind === 'R' || f.kind === 'X' ? this.seqs.get(f.seq) : undefined;
    const seq = live ?? f.seq;
    const op = typeof f.header.op === 'string' ? this.owner.liveOp(f.header.op) : undefined;
    const repaired =
      f.kind === 'R' && f.type === 'STORES'
        ? this.owner.digests.repair(f.header)
        : op !== undefined && op !== f.header.op
          ? { ...f.header, op }
          : undefined;
    let bytes: Buffer;
    if (repaired) bytes = encodeFrame({ ...f, seq, header: repaired }, true).subarray(0, -1);
    else bytes = seq === f.seq ? recorded.bytes : withSeq(recorded.bytes, formatSeq(seq));
    if (f.kind === 'R') this.waiting.delete(seq);
    this.endpoint.write(Buffer.concat([bytes, LF]));
  }

  private refuse(seq: number, type: string): void {
    this.waiting.delete(seq);
    const header = { ok: false, code: 'INTERNAL', message: 'replay: not the recorded conversation' };
    this.endpoint.write(encodeFrame({ seq, kind: 'R', type, header }, true));
  }

  /** The agent waits for answers the recording gives only after a request it is not sending. */
  private armStall(): void {
    this.clearStall();
    const next = this.frames[this.cursor];
    if (!next || this.waiting.size === 0 || this.owner.dead) return;
    const wait = this.resends.has(next) ? this.owner.retransmitWaitMs : this.owner.stallMs;
    this.stall = setTimeout(() => {
      this.owner.diverge({
        kind: 'stalled',
        session: this.script?.n,
        step: next.step,
        request: this.owner.positionOf(next),
        line: next.lineNo,
        message: `the agent did not send the recorded ${next.frame.type} within ${wait} ms, and waits for answers the recording gives only after it`,
        diff: lineDiff(normalisedLines(next.frame), []),
      });
    }, wait);
    this.stall.unref();
  }

  private clearStall(): void {
    if (this.stall) clearTimeout(this.stall);
    this.stall = undefined;
  }
}

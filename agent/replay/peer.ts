import { sessionFromHeader } from './session-limits.js';
import type { Frame } from '../../protocol/line/frame.js';
import type { AttachablePeer } from '../../protocol/transport/sim-registry.js';
import type { ByteEndpoint } from '../../protocol/transport/memory-link.js';
import type { DigestRepair } from './digests.js';
import { ReplayLink, type Divergence, type LinkOwner } from './link.js';
import { lineDiff, normalisedLines } from './normalise.js';
import type { ScriptFrame, ScriptRun } from './script.js';

/**
 * The terminal a replayed run talks to: registered under a `sim:replay?...` port, it answers
 * each link the agent opens with the next recorded session (replay/link.ts), and keeps the
 * score: which recorded requests of which step arrived, and the first divergence.
 */
export interface StepTally {
  step: string;
  recorded: number;
  matched: number;
}

/** Sees each request from the agent (`index`: its position in run `run`, from 1) and may change it. */
export type TamperHook = (request: Frame, index: number, run: number) => Frame;

export interface PeerOptions {
  tamper?: TamperHook;
  /** How long the agent may keep a recorded request back while it waits for answers. */
  stallMs?: number;
}

export class ReplayPeer implements AttachablePeer, LinkOwner {
  divergence: Divergence | undefined;
  readonly tamper: TamperHook | undefined;
  readonly stallMs: number;
  readonly retransmitWaitMs: number;
  readonly run: number;
  lastStep = 'connect';
  private readonly links: ReplayLink[] = [];
  private readonly positions = new Map<ScriptFrame, number>();
  private readonly tallies = new Map<string, StepTally>();
  private liveRequests = 0;
  private readonly ops = new Map<string, string>();

  constructor(
    private readonly script: ScriptRun,
    readonly digests: DigestRepair,
    o: PeerOptions = {},
  ) {
    this.run = script.index;
    this.tamper = o.tamper;
    this.stallMs = o.stallMs ?? 5000;
    // A recorded retransmission comes after the agent's own timeout, resends included.
    this.retransmitWaitMs = (sessionFromHeader(script.header).session.requestTimeoutMs ?? 3000) * 2 + 1000;
    for (const s of script.sessions) {
      for (const f of s.frames) {
        if (f.dir !== 'out') continue;
        this.positions.set(f, this.positions.size + 1);
        const tally = this.tallies.get(f.step) ?? { step: f.step, recorded: 0, matched: 0 };
        tally.recorded++;
        this.tallies.set(f.step, tally);
      }
    }
  }

  get dead(): boolean {
    return this.divergence !== undefined;
  }

  attach(endpoint: ByteEndpoint): void {
    const script = this.script.sessions[this.links.length];
    if (!script && !this.dead) {
      this.diverge({
        kind: 'link',
        step: this.lastStep,
        message: `the agent opened link ${this.links.length + 1}; the recording has ${this.script.sessions.length}`,
      });
    }
    this.links.push(new ReplayLink(this, endpoint, script));
  }

  diverge(d: Omit<Divergence, 'run'>): void {
    if (this.divergence) return;
    this.divergence = { run: this.run, ...d };
    for (const link of this.links) link.refuseWaiting();
  }

  matched(recorded: ScriptFrame, live: Frame): void {
    this.lastStep = recorded.step;
    const op = recorded.frame.header.op;
    if (typeof op === 'string' && typeof live.header.op === 'string') this.ops.set(op, live.header.op);
    const tally = this.tallies.get(recorded.step);
    if (tally) tally.matched++;
  }

  liveOp(recorded: string): string | undefined {
    return this.ops.get(recorded);
  }

  positionOf(recorded: ScriptFrame): number {
    return this.positions.get(recorded) ?? 0;
  }

  nextLiveRequest(): number {
    return ++this.liveRequests;
  }

  /** After the agent finished: whatever it never sent is the first thing it did differently. */
  finish(): { steps: StepTally[]; links: number } {
    for (const link of this.links) link.refuseWaiting();
    if (!this.dead) {
      const missing = this.script.sessions
        .map(
          (s, i) =>
            this.links[i]?.unsent ??
            (i >= this.links.length ? s.frames.find((f) => f.dir === 'out') : undefined),
        )
        .find((f): f is ScriptFrame => f !== undefined);
      const session = missing && this.script.sessions.findIndex((s) => s.frames.includes(missing)) + 1;
      if (missing) {
        this.diverge({
          kind: 'missing',
          session,
          step: missing.step,
          request: this.positionOf(missing),
          line: missing.lineNo,
          message: `the agent ended without sending the recorded ${missing.frame.type}`,
          diff: lineDiff(normalisedLines(missing.frame), []),
        });
      } else if (this.links.length < this.script.sessions.length) {
        this.diverge({
          kind: 'link',
          step: this.lastStep,
          message: `the agent opened ${this.links.length} links; the recording has ${this.script.sessions.length}`,
        });
      }
    }
    return { steps: [...this.tallies.values()], links: this.links.length };
  }
}

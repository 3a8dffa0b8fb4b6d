import { crc32 } from 'node:zlib';
import { decodeFrame, encodeFrame, formatSeq, type Frame } from '../../protocol/line/frame.js';
import {
  decodePayload,
  decompress,
  encodePayload,
  type PayloadEncoding,
} from '../../protocol/line/payload.js';
import type { AttachablePeer } from '../../protocol/transport/sim-registry.js';
import {
  createLinkPair,
  type ByteEndpoint,
  type SimulatedTerminal,
} from '../../protocol/line/terminal/index.js';

/**
 * A man in the middle between the agent and a real simulated terminal, for the hostile corpus:
 *
 *   agent end <-> [ lines -> rules -> lines ] <-> SimulatedTerminal (a fresh link per attach)
 *
 * Every line in either direction is offered to the rules, which may let it pass, drop it, or
 * put other bytes in its place; they may also inject bytes, hang up, or silence the terminal
 * for good. The first time a rule changes anything the proxy takes a snapshot of the
 * terminal's erase counters, so a test can prove that nothing was erased after the anomaly.
 */

export interface Passing {
  /** The decoded frame (lines from the simulator always decode; the agent's always should). */
  frame: Frame;
  /** The line as it arrived, without its LF. */
  line: Buffer;
  /** For a terminal frame: the agent's request with the same seq on this link, if any. */
  request: Frame | undefined;
  /** Which request of its type this is (1 = the first the agent sent); for a reply, its request's. */
  nth: number;
}

/** undefined: pass unchanged; 'drop': nothing; bytes: these instead (each line with its LF). */
export type Verdict = undefined | 'drop' | Buffer | Buffer[];

export interface Rule {
  /** A line from the agent, before the terminal sees it. */
  toTerminal?(p: Passing, w: Wire): Verdict;
  /** A line from the terminal, before the agent sees it. */
  toAgent?(p: Passing, w: Wire): Verdict;
  /** A new link (the first, or one after a reconnect). */
  onAttach?(w: Wire): void;
}

export interface Wire {
  /** 1 for the first link, 2 after the first reconnect, ... */
  readonly connection: number;
  /** The payload encoding this link's HELLO negotiated. */
  readonly enc: PayloadEncoding;
  readonly closed: boolean;
  readonly sim: SimulatedTerminal;
  toAgent(bytes: Buffer): void;
  toTerminal(bytes: Buffer): void;
  /** Pulls the cable on this link. */
  hangUp(): void;
  /** From now on nothing the terminal sends reaches the agent, on this link or any later one. */
  silence(): void;
  /** Records "the anomaly happens now" (done automatically by any change a rule makes). */
  mark(): void;
}

export class HostileProxy implements AttachablePeer {
  private links = 0;
  private silenced = false;
  private readonly sentByType = new Map<string, number>();
  private marked: Record<string, number> | undefined;
  /** What the rules did, in order, for a failing test's message. */
  readonly log: string[] = [];

  constructor(
    readonly sim: SimulatedTerminal,
    private readonly rules: Rule[],
  ) {}

  get identity(): SimulatedTerminal['identity'] {
    return this.sim.identity;
  }

  get authorityCode(): string {
    return this.sim.authorityCode;
  }

  /** Erase counters when the anomaly began, or undefined if no rule ever changed anything. */
  get eraseCountsAtAnomaly(): Record<string, number> | undefined {
    return this.marked;
  }

  eraseCounts(): Record<string, number> {
    return Object.fromEntries(this.sim.storeNames.map((n) => [n, this.sim.eraseCount(n)]));
  }

  attach(agentEnd: ByteEndpoint): void {
    const [near, far] = createLinkPair();
    this.sim.attach(far);
    new ProxyLink(this, ++this.links, agentEnd, near);
  }

  /** @internal */ mark(why: string): void {
    this.log.push(why);
    this.marked ??= this.eraseCounts();
  }
  /** @internal */ get isSilenced(): boolean {
    return this.silenced;
  }
  /** @internal */ silence(): void {
    this.silenced = true;
  }
  /** @internal */ countRequest(type: string): number {
    const n = (this.sentByType.get(type) ?? 0) + 1;
    this.sentByType.set(type, n);
    return n;
  }
  /** @internal */ get ruleList(): readonly Rule[] {
    return this.rules;
  }
}

class LineSplitter {
  private parts: Buffer[] = [];
  constructor(private readonly onLine: (line: Buffer) => void) {}
  push(bytes: Buffer): void {
    let start = 0;
    for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, start)) {
      this.parts.push(bytes.subarray(start, lf));
      const line = Buffer.concat(this.parts);
      this.parts = [];
      this.onLine(line);
      start = lf + 1;
    }
    if (start < bytes.length) this.parts.push(Buffer.from(bytes.subarray(start)));
  }
}

class ProxyLink implements Wire {
  enc: PayloadEncoding = 'b64';
  closed = false;
  /** Requests by seq on this link, with the exact line, so a retransmission is recognised. */
  private readonly requests = new Map<number, { frame: Frame; nth: number; line: string }>();

  constructor(
    private readonly proxy: HostileProxy,
    readonly connection: number,
    private readonly agent: ByteEndpoint,
    private readonly terminal: ByteEndpoint,
  ) {
    const fromAgent = new LineSplitter((line) => this.onAgentLine(line));
    const fromTerminal = new LineSplitter((line) => this.onTerminalLine(line));
    agent.onData((b) => fromAgent.push(b));
    terminal.onData((b) => fromTerminal.push(b));
    agent.onClose(() => this.close());
    terminal.onClose(() => this.close());
    for (const r of proxy.ruleList) r.onAttach?.(this);
  }

  get sim(): SimulatedTerminal {
    return this.proxy.sim;
  }

  toAgent(bytes: Buffer): void {
    this.proxy.mark('injected bytes');
    if (!this.closed) this.agent.write(bytes);
  }
  toTerminal(bytes: Buffer): void {
    this.proxy.mark('injected bytes toward the terminal');
    if (!this.closed) this.terminal.write(bytes);
  }
  hangUp(): void {
    this.proxy.mark('hung up');
    this.close();
  }
  silence(): void {
    this.proxy.mark('silenced');
    this.proxy.silence();
  }
  mark(): void {
    this.proxy.mark('marked');
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.agent.close();
    this.terminal.close();
  }

  private onAgentLine(line: Buffer): void {
    const d = decodeFrame(line);
    if (!d.ok) {
      this.terminal.write(Buffer.concat([line, LF]));
      return;
    }
    const f = d.frame;
    const text = line.toString('latin1');
    let entry = this.requests.get(f.seq);
    // A retransmission (same seq, same bytes) is the same request, not the next one.
    if (!entry || entry.line !== text) {
      entry = { frame: f, nth: this.proxy.countRequest(f.type), line: text };
      this.requests.set(f.seq, entry);
    }
    const passing: Passing = { frame: f, line, request: undefined, nth: entry.nth };
    this.apply('toTerminal', passing, (bytes) => this.terminal.write(bytes));
  }

  private onTerminalLine(line: Buffer): void {
    const d = decodeFrame(line);
    if (!d.ok) {
      if (!this.proxy.isSilenced) this.agent.write(Buffer.concat([line, LF]));
      return;
    }
    const f = d.frame;
    if (f.kind === 'R' && f.type === 'HELLO' && f.header.ok === true) {
      this.enc = f.header.enc === '8bit' ? '8bit' : 'b64';
    }
    const entry = f.kind === 'R' ? this.requests.get(f.seq) : undefined;
    const passing: Passing = { frame: f, line, request: entry?.frame, nth: entry?.nth ?? 0 };
    this.apply('toAgent', passing, (bytes) => {
      if (!this.proxy.isSilenced) this.agent.write(bytes);
    });
  }

  private apply(dir: 'toTerminal' | 'toAgent', p: Passing, send: (bytes: Buffer) => void): void {
    for (const rule of this.proxy.ruleList) {
      const hook = rule[dir];
      if (!hook) continue;
      const verdict = hook.call(rule, p, this);
      if (verdict === undefined) continue;
      this.proxy.mark(
        `${dir} ${p.frame.kind} ${p.frame.type} #${p.nth}: ${verdict === 'drop' ? 'dropped' : 'replaced'}`,
      );
      if (verdict === 'drop') return;
      for (const b of Array.isArray(verdict) ? verdict : [verdict]) send(b);
      return;
    }
    send(Buffer.concat([p.line, LF]));
  }
}

const LF = Buffer.of(0x0a);

/** A frame's line, LF included, with a correct CRC. */
export function frameLine(frame: Frame): Buffer {
  return encodeFrame(frame, true);
}

/** The frame with some header fields replaced (or removed, with `undefined`), re-CRCed. */
export function patched(frame: Frame, patch: Record<string, unknown>): Buffer {
  const header = { ...frame.header, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete header[k];
  return frameLine({ ...frame, header });
}

/** Any bytes as a frame: the header text is taken as it is (invalid JSON or UTF-8 included). */
export function rawFrame(
  seq: number,
  kind: string,
  type: string,
  header: Buffer | string,
  data?: Buffer,
): Buffer {
  const parts = [
    Buffer.from(`${formatSeq(seq)} ${kind} ${type} `, 'latin1'),
    typeof header === 'string' ? Buffer.from(header, 'utf8') : header,
  ];
  if (data) parts.push(Buffer.of(0x09), data);
  const body = Buffer.concat(parts);
  const crc = (crc32(body) >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return Buffer.concat([body, Buffer.from(`*${crc}\n`, 'latin1')]);
}

/** The same line with a CRC that does not match. */
export function badCrc(line: Buffer): Buffer {
  const out = Buffer.concat([line, LF]);
  const at = out.length - 2;
  out[at] = out[at] === 0x30 ? 0x31 : 0x30;
  return out;
}

/** The raw store bytes a READ reply carries. */
export function readBytes(frame: Frame, w: Wire): Buffer {
  const decoded = decodePayload(frame.data ?? Buffer.alloc(0), w.enc);
  if (!decoded) throw new Error('the simulator sent a READ reply that does not decode');
  const length = Number(frame.header.length);
  const raw = frame.header.z === 'deflate' ? decompress(decoded, length) : decoded;
  if (!raw) throw new Error('the simulator sent a READ reply that does not inflate');
  return raw;
}

/** A READ reply carrying `bytes` uncompressed, with header fields patched. */
export function readReply(frame: Frame, bytes: Buffer, w: Wire, patch: Record<string, unknown> = {}): Buffer {
  return frameLine({
    ...frame,
    header: { ...frame.header, length: bytes.length, z: 'none', ...patch },
    data: encodePayload(bytes, w.enc),
  });
}

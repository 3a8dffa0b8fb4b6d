import { createLinkPair, type ByteEndpoint } from '../../protocol/transport/memory-link.js';
import { SerialApduLink, type SerialFaultHooks } from '../../protocol/zvt/link/serial-link.js';
import type { SimulatedZvtTerminal } from '../../protocol/zvt/terminal/index.js';

/**
 * A hostile ZVT terminal for tests: a real simulated terminal behind a proxy that a rule can
 * bend, on the real serial link code on both sides. A rule may take a command's whole sequence
 * over (the terminal never sees it), rewrite, multiply or drop the terminal's APDUs, write raw
 * bytes to the wire, or make the agent-facing link NAK or corrupt everything. When the hostile
 * thing happens the rule says so (`anomaly()`), and the proxy notes which files the terminal had
 * deleted by then, so a test can prove nothing was deleted after it.
 *
 *   agent <-serial-> [agentLink  proxy  simLink] <-serial-> SimulatedZvtTerminal
 */
export interface Pt {
  send(apdu: Buffer): Promise<void>;
  /** The agent's next APDU (its answer to what we sent, or its next command). */
  next(): Promise<Buffer>;
  exchange(apdu: Buffer): Promise<Buffer>;
  /** Bytes straight onto the agent's wire, outside any frame. */
  raw(bytes: Buffer): void;
}

export interface RuleContext {
  pt: Pt;
  /** The hostile behaviour is happening now. */
  anomaly(): void;
  /** How many times a command (by its first two bytes, e.g. '0501') has come from the agent. */
  seen(code: string): number;
}

export interface ZvtRule {
  /** The cable was plugged in (link-level storms start here). */
  attached?(ctx: RuleContext): void;
  /** Takes a command's sequence over: resolve true when it did (the terminal never sees it). */
  takeOver?(command: Buffer, ctx: RuleContext): Promise<boolean> | boolean;
  /** A terminal APDU within `command`'s sequence: what the agent gets instead ([] drops it). */
  terminal?(apdu: Buffer, command: Buffer, ctx: RuleContext): Buffer[] | undefined;
  /** The agent-facing link NAKs or corrupts frames (a storm). */
  agentLink?: SerialFaultHooks;
}

const ACK = Buffer.from([0x80, 0x00, 0x00]);
const PROXY_SERIAL = { t1Ms: 200, t2Ms: 5000 };
const isAnswer = (apdu: Buffer) => apdu[0] === 0x80 || apdu[0] === 0x84;

export class ZvtHostileProxy {
  readonly log: string[] = [];
  deletedAtAnomaly: number[] | undefined;
  private readonly counts = new Map<string, number>();

  constructor(
    readonly sim: SimulatedZvtTerminal,
    private readonly rule: ZvtRule,
  ) {}

  /** The ids of files the terminal has deleted so far. */
  deleted(): number[] {
    return this.sim
      .snapshot()
      .files.filter((f) => f.deleted)
      .map((f) => f.id);
  }

  attach(endpoint: ByteEndpoint): void {
    const [ours, theirs] = createLinkPair();
    this.sim.attach(theirs);
    new Cable(this, this.rule, endpoint, ours);
  }

  context(pt: Pt): RuleContext {
    return {
      pt,
      anomaly: () => {
        if (this.deletedAtAnomaly) return;
        this.deletedAtAnomaly = this.deleted();
        this.log.push(`anomaly (deleted so far: ${this.deletedAtAnomaly.join(',') || 'none'})`);
      },
      seen: (code) => this.counts.get(code) ?? 0,
    };
  }

  count(command: Buffer): void {
    const code = command.subarray(0, 2).toString('hex');
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }
}

/** One plugging-in of the cable: its two links and the traffic between them. */
class Cable {
  private readonly agent: SerialApduLink;
  private readonly terminal: SerialApduLink;
  private command: Buffer = Buffer.alloc(2);
  private takenOver: Buffer[] | undefined;
  private waiter: ((apdu: Buffer) => void) | undefined;
  /** Agent answers owed to APDUs we made up: they go nowhere. */
  private swallow = 0;
  private toAgent: Promise<void> = Promise.resolve();
  private readonly ctx: RuleContext;

  constructor(
    private readonly proxy: ZvtHostileProxy,
    private readonly rule: ZvtRule,
    private readonly wire: ByteEndpoint,
    simEnd: ByteEndpoint,
  ) {
    // The spec's T2 on both links: no case is about a late ACK (the storms NAK or corrupt at
    // once), and a shorter wait let a loaded machine repeat a frame the proxy had passed on.
    this.agent = new SerialApduLink(wire, {
      ...PROXY_SERIAL,
      ...(rule.agentLink ? { hooks: rule.agentLink } : {}),
    });
    this.terminal = new SerialApduLink(simEnd, PROXY_SERIAL);
    const pt: Pt = {
      send: (apdu) => this.agent.send(apdu),
      next: () => this.nextFromAgent(),
      exchange: async (apdu) => {
        const answer = this.nextFromAgent();
        await this.agent.send(apdu);
        return answer;
      },
      raw: (bytes) => wire.write(bytes),
    };
    this.ctx = proxy.context(pt);
    // A rule that writes to an agent that has already hung up (it stopped, as it should) is done.
    this.agent.onApdu((apdu) => void this.fromAgent(apdu).catch(() => undefined));
    this.terminal.onApdu((apdu) => this.fromTerminal(apdu));
    this.agent.onClose(() => void this.terminal.close());
    this.terminal.onClose(() => void this.agent.close());
    rule.attached?.(this.ctx);
  }

  private nextFromAgent(): Promise<Buffer> {
    const queued = this.takenOver?.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private async fromAgent(apdu: Buffer): Promise<void> {
    if (this.takenOver) {
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(apdu);
      else this.takenOver.push(apdu);
      return;
    }
    if (isAnswer(apdu)) {
      if (this.swallow > 0) this.swallow--;
      else await this.terminal.send(apdu).catch(() => undefined);
      return;
    }
    this.command = apdu;
    this.proxy.count(apdu);
    this.takenOver = [];
    const taken = (await this.rule.takeOver?.(apdu, this.ctx)) === true;
    const left = this.takenOver;
    this.takenOver = undefined;
    if (taken) return;
    // Anything the agent said while the rule was deciding goes on after the command.
    await this.terminal.send(apdu).catch(() => undefined);
    for (const a of left) await this.fromAgent(a);
  }

  private fromTerminal(apdu: Buffer): void {
    const replaced = isAnswer(apdu) ? undefined : this.rule.terminal?.(apdu, this.command, this.ctx);
    const out = replaced ?? [apdu];
    if (out.length === 0) {
      void this.terminal.send(ACK).catch(() => undefined);
      return;
    }
    if (!isAnswer(apdu)) this.swallow += out.length - 1;
    for (const a of out) this.toAgent = this.toAgent.then(() => this.agent.send(a)).catch(() => undefined);
  }
}

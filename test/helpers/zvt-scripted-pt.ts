import { afterEach } from 'vitest';
import { createLinkPair } from '../../protocol/transport/memory-link.js';
import { ACK } from '../../protocol/zvt/codec/commands.js';
import type { ApduLink } from '../../protocol/zvt/link/apdu-link.js';
import { SerialApduLink } from '../../protocol/zvt/link/serial-link.js';
import { TcpApduLink } from '../../protocol/zvt/link/tcp-link.js';
import { TEST_SERIAL, type Framing } from './zvt-rig.js';

/**
 * A terminal whose every move a test writes out, on the real link code: for the timing rules
 * (T3, T4, the 04 FF timeout byte) and for terminals that misbehave (floods, silence).
 */
export class ScriptedPt {
  private inbox: Buffer[] = [];
  private waiter: ((b: Buffer) => void) | undefined;
  /** Every APDU the ECR sent, in order. */
  readonly received: Buffer[] = [];

  constructor(readonly link: ApduLink) {
    link.onApdu((apdu) => {
      this.received.push(apdu);
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(apdu);
      else this.inbox.push(apdu);
    });
  }

  next(): Promise<Buffer> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  send(apdu: Buffer): Promise<void> {
    return this.link.send(apdu);
  }

  /** Sends an APDU while holding master rights and waits for the ECR's answer. */
  async exchange(apdu: Buffer): Promise<Buffer> {
    const answer = this.next();
    await this.send(apdu);
    return answer;
  }

  /** Takes the command and acknowledges it. */
  async accept(): Promise<Buffer> {
    const command = await this.next();
    await this.send(ACK);
    return command;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** An ECR link and a scripted terminal on the other end of an in-memory cable; closed after each test. */
export function scriptedPts(): (framing?: Framing) => { ecr: ApduLink; pt: ScriptedPt } {
  const links: ApduLink[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
  });
  return (framing = 'serial') => {
    const [a, b] = createLinkPair();
    const make = (e: typeof a) =>
      framing === 'tcp' ? new TcpApduLink(e) : new SerialApduLink(e, TEST_SERIAL);
    const ecr = make(a);
    const ptLink = make(b);
    links.push(ecr, ptLink);
    return { ecr, pt: new ScriptedPt(ptLink) };
  };
}

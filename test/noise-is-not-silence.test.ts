import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { decodeFrame } from '../protocol/line/frame.js';
import { Framer } from '../protocol/line/framer.js';
import { LineProtocolDriver } from '../protocol/line/driver.js';
import { DEFAULT_SETTINGS } from '../protocol/transport/port-spec.js';
import { registerSimulatedTerminal, type AttachablePeer } from '../protocol/transport/sim-registry.js';
import {
  createLinkPair,
  parseFaults,
  SimulatedTerminal,
  type ByteEndpoint,
} from '../protocol/line/terminal/index.js';
import { openLink } from '../protocol/transport/open-link.js';

/**
 * Line noise is not silence. A reply that arrives corrupt shows the terminal answered: the agent
 * asks again at once and keeps asking (up to its noisy budget), and when it gives up it says the
 * line is noisy. Only a terminal that sends nothing is "silent", after the ordinary 3 resends.
 * On a noisy line the agent's READs shrink until most replies arrive whole, and the bytes read
 * are exact.
 */

const terminals: SimulatedTerminal[] = [];
afterAll(async () => {
  for (const t of terminals.splice(0)) await t.close();
});

/**
 * A cable that spoils (flips one byte in the middle of), swallows, or holds back chosen reply
 * frames; a held frame goes out just before the next frame that passes.
 */
class MeddlingWire implements AttachablePeer {
  private readonly seen = new Map<string, number>();
  private held: Buffer[] = [];
  constructor(
    private readonly terminal: SimulatedTerminal,
    private readonly meddle: (type: string, n: number) => 'spoil' | 'swallow' | 'hold' | undefined,
  ) {}

  attach(agentSide: ByteEndpoint): void {
    const [toTerminal, terminalSide] = createLinkPair();
    this.terminal.attach(terminalSide);
    agentSide.onData((b) => toTerminal.write(b));
    const framer = new Framer((e) => {
      if (e.type !== 'line') return;
      let line = e.line;
      const d = decodeFrame(line);
      if (d.ok && d.frame.kind === 'R') {
        const n = (this.seen.get(d.frame.type) ?? 0) + 1;
        this.seen.set(d.frame.type, n);
        const what = this.meddle(d.frame.type, n);
        if (what === 'swallow') return;
        if (what === 'hold') {
          this.held.push(Buffer.concat([line, Buffer.from('\n')]));
          return;
        }
        if (what === 'spoil') {
          line = Buffer.from(line);
          const middle = line.length >> 1;
          line[middle] = line[middle]! ^ 0x01;
        }
      }
      agentSide.write(Buffer.concat([...this.held.splice(0), line, Buffer.from('\n')]));
    }, 1 << 18);
    toTerminal.onData((b) => framer.push(b));
    agentSide.onClose(() => toTerminal.close());
    toTerminal.onClose(() => agentSide.close());
  }
}

let ports = 0;

async function terminal(seed: number, faults?: string, noncompliant = false): Promise<SimulatedTerminal> {
  const t = await SimulatedTerminal.create({
    model: 'countertop',
    seed,
    storeScale: 0.25,
    storeSizes: { saf: 48 * 1024 },
    noncompliant,
    ...(faults ? { faults: parseFaults(faults) } : {}),
  });
  terminals.push(t);
  return t;
}

async function connect(peer: AttachablePeer, maxLine?: number): Promise<LineProtocolDriver> {
  const port = `sim:countertop?noise-test=${++ports}`;
  registerSimulatedTerminal(port, peer);
  const link = await openLink(port, DEFAULT_SETTINGS);
  return LineProtocolDriver.connect(link, {
    requestTimeoutMs: 150,
    helloTimeoutMs: 400,
    ...(maxLine ? { maxLine } : {}),
  });
}

describe('an answer that arrives corrupt', () => {
  it('is asked for again, beyond the resends a silent terminal gets, until it arrives whole', async () => {
    const t = await terminal(600);
    const driver = await connect(
      new MeddlingWire(t, (type, n) => (type === 'KEYS' && n <= 6 ? 'spoil' : undefined)),
    );
    const before = driver.session.counters.retransmits;
    const slots = await driver.keys();
    expect(slots.length).toBeGreaterThan(0);
    expect(driver.session.counters.retransmits - before).toBe(6);
    expect(driver.session.options.retries).toBeLessThan(6);
    expect(driver.session.counters.discarded.crc).toBe(6);
    await driver.close();
  });

  it('ends, when it never arrives whole, with "line noise", not "terminal silent"', async () => {
    const t = await terminal(601);
    const driver = await connect(new MeddlingWire(t, (type) => (type === 'KEYS' ? 'spoil' : undefined)));
    const err = await driver.keys().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: ErrorCode.SessionTerminalSilent,
      message: expect.stringMatching(/^no intact answer to KEYS after 13 attempts: line noise corrupts/),
      context: { noisy: true },
    });
    expect((err as Error).message).not.toMatch(/silent/);
    await driver.close();
  });

  it('is not confused with silence: a terminal that sends nothing is silent after 4 attempts', async () => {
    const t = await terminal(602);
    const driver = await connect(new MeddlingWire(t, (type) => (type === 'KEYS' ? 'swallow' : undefined)));
    const err = await driver.keys().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: ErrorCode.SessionTerminalSilent,
      message: expect.stringMatching(/^terminal silent: no valid answer to KEYS after 4 attempts/),
      context: { noisy: false },
    });
    await driver.close();
  });
});

describe('a second answer to a request sent twice', () => {
  it('is the echo of our own resend, not a terminal breaking the protocol', async () => {
    const t = await terminal(603);
    // The first answer is late: the agent resends, and then both answers arrive.
    const driver = await connect(
      new MeddlingWire(t, (type, n) => (type === 'KEYS' && n === 1 ? 'hold' : undefined)),
    );
    await driver.keys();
    expect(driver.session.counters.retransmits).toBe(1);
    // One more request, so the late copy has surely arrived before we look.
    await driver.status();
    expect(driver.session.counters.discarded).toEqual({ echo: 1 });
    await driver.close();
  });
});

describe('READ on a noisy line', () => {
  /** The lengths of every READ the agent sent, in order, while reading `store` whole. */
  async function readWhole(
    t: SimulatedTerminal,
    store: string,
  ): Promise<{ lengths: number[]; digest: string; maxLine: number }> {
    const driver = await connect(t);
    const lengths: number[] = [];
    driver.session.observe((dir, line) => {
      if (dir !== 'out') return;
      const d = decodeFrame(line.subarray(0, -1));
      if (d.ok && d.frame.type === 'READ') lengths.push(Number(d.frame.header.length));
    });
    const size = (await driver.listStores()).find((s) => s.name === store)!.size;
    const hash = createHash('sha256');
    const reached = await driver.readStore(store, 0, size, async (_o, bytes) => {
      hash.update(bytes);
    });
    expect(reached).toBe(size);
    const maxLine = driver.session.negotiated!.maxLine;
    await driver.close();
    return { lengths, digest: hash.digest('hex'), maxLine };
  }

  it('shrinks its READs until replies come through, and reads the store byte-exact', async () => {
    // Clear card data (random digits, packed BCD), which deflates least: the READ length is close
    // to the reply's length on the wire.
    const noisy = await terminal(610, 'bit-error=1e-4', true);
    const read = await readWhole(noisy, 'saf');
    expect(read.digest).toBe(noisy.storeDigest('saf'));
    const clean = await readWhole(await terminal(610, undefined, true), 'saf');
    expect(clean.digest).toBe(read.digest);
    // On a clean line one READ asks for most of a line; on this one they end up a few hundred bytes.
    expect(Math.max(...clean.lengths)).toBeGreaterThan(read.maxLine / 2);
    const settled = read.lengths.slice(-10);
    expect(Math.max(...settled)).toBeLessThan(2048);
    expect(read.lengths.length).toBeGreaterThan(clean.lengths.length * 4);
  });

  it.each(['bit-error=1e-4,drop=1e-5', 'drop=1e-4'])('reads byte-exact with %s', async (faults) => {
    const t = await terminal(620, faults);
    const read = await readWhole(t, 'saf');
    expect(read.digest).toBe(t.storeDigest('saf'));
  });
});

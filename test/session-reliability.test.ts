import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Framer } from '../protocol/line/framer.js';
import { decodeFrame } from '../protocol/line/frame.js';
import { LineProtocolDriver } from '../protocol/line/driver.js';
import { DEFAULT_SETTINGS } from '../protocol/transport/port-spec.js';
import { registerSimulatedTerminal, type AttachablePeer } from '../protocol/transport/sim-registry.js';
import { createLinkPair, type ByteEndpoint } from '../protocol/transport/memory-link.js';
import { SimulatedTerminal, parseFaults } from '../protocol/line/terminal/index.js';
import { openLink } from '../protocol/transport/open-link.js';
import { authMessage } from '../protocol/line/messages.js';

/** Sits on the wire and drops terminal-to-agent frames a test names, as a noisy cable would. */
class DroppingWire implements AttachablePeer {
  constructor(
    private readonly terminal: SimulatedTerminal,
    private readonly dropReply: (type: string, count: number) => boolean,
  ) {}
  private seen = new Map<string, number>();

  attach(agentSide: ByteEndpoint): void {
    const [toTerminal, terminalSide] = createLinkPair();
    this.terminal.attach(terminalSide);
    agentSide.onData((b) => toTerminal.write(b));
    const framer = new Framer((e) => {
      if (e.type !== 'line') return;
      const d = decodeFrame(e.line);
      if (d.ok && d.frame.kind === 'R') {
        const n = (this.seen.get(d.frame.type) ?? 0) + 1;
        this.seen.set(d.frame.type, n);
        if (this.dropReply(d.frame.type, n)) return;
      }
      agentSide.write(Buffer.concat([e.line, Buffer.from('\n')]));
    }, 1 << 18);
    toTerminal.onData((b) => framer.push(b));
    agentSide.onClose(() => toTerminal.close());
    toTerminal.onClose(() => agentSide.close());
  }
}

async function connect(port: string, timeoutMs = 150): Promise<LineProtocolDriver> {
  const link = await openLink(port, DEFAULT_SETTINGS);
  return LineProtocolDriver.connect(link, { requestTimeoutMs: timeoutMs, helloTimeoutMs: 1000 });
}

describe('session reliability against the simulated terminal', () => {
  it('recovers from corrupted and dropped bytes by retransmission, and reads a store byte-exact', async () => {
    const terminal = await SimulatedTerminal.create({
      model: 'countertop',
      seed: 11,
      faults: parseFaults('bit-error=2e-5,drop=1e-5'),
    });
    const port = 'sim:countertop?seed=11&test=noise';
    registerSimulatedTerminal(port, terminal);
    const link = await openLink(port, DEFAULT_SETTINGS);
    const driver = await LineProtocolDriver.connect(link, { requestTimeoutMs: 200, maxLine: 4096 });
    for (let i = 0; i < 100; i++) expect((await driver.status()).state).toBe('active');
    const stores = await driver.listStores();
    const journal = stores.find((s) => s.kind === 'journal')!;
    const hash = createHash('sha256');
    await driver.readStore(journal.name, 0, journal.size, async (_o, bytes) => {
      hash.update(bytes);
    });
    expect(hash.digest('hex')).toBe(journal.sha256);
    expect(driver.session.counters.retransmits).toBeGreaterThan(0);
    await driver.close();
    await terminal.close();
  });

  it('never executes a retransmitted destructive request twice', async () => {
    const terminal = await SimulatedTerminal.create({ model: 'countertop', seed: 12 });
    const port = 'sim:countertop?seed=12&test=dup';
    // The first SETTLE answer is lost on the wire: the agent must resend the same request.
    registerSimulatedTerminal(port, new DroppingWire(terminal, (type, n) => type === 'SETTLE' && n === 1));
    const driver = await connect(port);
    const id = await driver.identify();
    await driver.authorize(id.serial, terminal.authorityCode);
    const before = (await driver.status()).batch;
    const settled = await driver.settle('job1:settle');
    expect(settled.count).toBe(before.count);
    expect(driver.session.counters.retransmits).toBeGreaterThanOrEqual(1);
    expect(terminal.stats().executed.SETTLE).toBe(1);
    // The same op id after a new session is answered from the terminal's record, not re-run.
    await driver.close();
    const again = await connect(port);
    await again.authorize(id.serial, terminal.authorityCode);
    expect(await again.settle('job1:settle')).toEqual(settled);
    expect(terminal.stats().executed.SETTLE).toBe(1);
    await again.close();
    await terminal.close();
  });

  it('a replayed authorization MAC is refused', async () => {
    const terminal = await SimulatedTerminal.create({ model: 'unattended', seed: 13 });
    const port = 'sim:unattended?seed=13&test=replay';
    registerSimulatedTerminal(port, terminal);
    const driver = await connect(port);
    const id = await driver.identify();
    const { nonce } = await driver.session.request('AUTH_BEGIN', {});
    const session = driver.session.negotiated!.session;
    const mac = createHmac('sha256', terminal.authorityCode)
      .update(authMessage(id.serial, nonce, session))
      .digest('hex');
    await driver.session.request('AUTH', { nonce, mac });
    await expect(driver.session.request('AUTH', { nonce, mac })).rejects.toThrow(/AUTH_FAILED/);
    await driver.close();
    await terminal.close();
  });
});

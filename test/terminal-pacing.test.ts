import { afterEach, describe, expect, it } from 'vitest';
import { createLinkPair, SimulatedTerminal, type SimOptions } from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';

const open: SimulatedTerminal[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

/** A client that also counts every byte the terminal sends and when the last one came. */
async function paced(
  options: Partial<SimOptions>,
): Promise<{ t: SimulatedTerminal; c: RawClient; received: () => number; lastAt: () => number }> {
  const t = await SimulatedTerminal.create({ model: 'countertop', seed: 3, ...options });
  open.push(t);
  const [ours, theirs] = createLinkPair();
  t.attach(theirs);
  let received = 0;
  let lastAt = 0;
  ours.onData((b) => {
    received += b.length;
    lastAt = performance.now();
  });
  const c = new RawClient(ours);
  // Uncompressed, so the bytes on the line are what the test asked for.
  await c.hello({ z: ['none'] });
  return { t, c, received: () => received, lastAt: () => lastAt };
}

describe('simulated terminal: output pacing', () => {
  it('sends 20 KB at 115200 baud in about 1.7 s', async () => {
    const { c, received, lastAt } = await paced({ baud: 115_200 });
    const before = received();
    const started = performance.now();
    const seq = c.nextSeq();
    const reply = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
    c.send(c.encode('READ', { store: 'saf', offset: 0, length: 20_000 }, seq));
    expect((await reply).header).toMatchObject({ ok: true, length: 20_000 });
    const bytes = received() - before;
    const expected = (bytes * 10 * 1000) / 115_200;
    expect(bytes).toBeGreaterThan(20_000);
    const elapsed = lastAt() - started;
    // Never early; late only by timer slack (generous, for a loaded CI machine).
    expect(elapsed).toBeGreaterThanOrEqual(expected * 0.97);
    expect(elapsed).toBeLessThanOrEqual(expected * 1.15);
  });

  it('keeps the line busy back to back, so pipelined responses go at the line rate', async () => {
    const baud = 1_000_000;
    const { c, received, lastAt } = await paced({ baud });
    const before = received();
    const started = performance.now();
    const replies = [0, 1, 2, 3].map((i) => {
      const seq = c.nextSeq();
      const reply = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
      c.send(c.encode('READ', { store: 'journal', offset: i * 15_000, length: 15_000 }, seq));
      return reply;
    });
    const frames = await Promise.all(replies);
    expect(frames.map((f) => f.header.offset)).toEqual([0, 15_000, 30_000, 45_000]);
    const expected = ((received() - before) * 10 * 1000) / baud;
    const elapsed = lastAt() - started;
    expect(elapsed).toBeGreaterThanOrEqual(expected * 0.97);
    expect(elapsed).toBeLessThanOrEqual(expected * 1.15 + 20);
  });

  it('stops taking requests while its output is backed up, instead of buffering without bound', async () => {
    const t0 = performance.now();
    const { t, c } = await paced({ baud: 9600 });
    for (let i = 0; i < 400; i++) c.send(c.encode('READ', { store: 'journal', offset: 0, length: 60_000 }));
    await new Promise((r) => setTimeout(r, 200));
    const { framesOut, badFrames, executed } = t.stats();
    // About 32 responses waiting for the line and 64 requests queued; the rest were dropped.
    expect(executed.READ ?? 0).toBeLessThanOrEqual(40);
    expect(framesOut).toBeLessThanOrEqual(45);
    expect(badFrames).toBeGreaterThan(250);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('starts a response no earlier than turnaroundMs after its request', async () => {
    const { c } = await paced({ turnaroundMs: 120 });
    const started = performance.now();
    await c.request('PING');
    expect(performance.now() - started).toBeGreaterThanOrEqual(118);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createLinkPair, SimulatedTerminal, type SimOptions } from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';
import { ManualClock } from './helpers/manual-clock.js';

/*
 * The terminal's line runs on a clock the test moves (test/helpers/manual-clock.ts), so every
 * figure below is the terminal's schedule, exact to the millisecond, however loaded the machine.
 * How close real timers come to that schedule is measured by `npm run bench`.
 */
const open: SimulatedTerminal[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

interface Paced {
  t: SimulatedTerminal;
  c: RawClient;
  clock: ManualClock;
  /** Bytes received so far, and the line time of each chunk with the running total after it. */
  received: () => number;
  chunks: { at: number; total: number }[];
}

/** A client that also counts every byte the terminal sends and the line time it arrived at. */
async function paced(options: Partial<SimOptions>): Promise<Paced> {
  const clock = new ManualClock();
  const t = await SimulatedTerminal.create({ model: 'countertop', seed: 3, lineClock: clock, ...options });
  open.push(t);
  const [ours, theirs] = createLinkPair();
  t.attach(theirs);
  let received = 0;
  const chunks: { at: number; total: number }[] = [];
  ours.onData((b) => {
    received += b.length;
    chunks.push({ at: clock.now(), total: received });
  });
  const c = new RawClient(ours);
  // Uncompressed, so the bytes on the line are what the test asked for.
  await clock.runUntil(c.hello({ z: ['none'] }));
  return { t, c, clock, received: () => received, chunks };
}

/** Every chunk since `from` arrived no earlier than its last bit could have, at `bytesPerSecond` from `start`. */
function neverEarly(p: Paced, from: number, before: number, start: number, bytesPerSecond: number): void {
  for (const { at, total } of p.chunks.slice(from)) {
    expect(total - before).toBeLessThanOrEqual(Math.floor(((at - start) * bytesPerSecond) / 1000));
  }
}

describe('simulated terminal: output pacing', () => {
  it('sends 20 KB at 115200 baud in about 1.7 s', async () => {
    const p = await paced({ baud: 115_200 });
    const { c, clock, received } = p;
    const before = received();
    const from = p.chunks.length;
    const started = clock.now();
    const seq = c.nextSeq();
    const reply = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
    c.send(c.encode('READ', { store: 'saf', offset: 0, length: 20_000 }, seq));
    expect((await clock.runUntil(reply)).header).toMatchObject({ ok: true, length: 20_000 });
    const bytes = received() - before;
    const expected = (bytes * 10 * 1000) / 115_200;
    expect(bytes).toBeGreaterThan(20_000);
    expect(expected).toBeGreaterThan(1_700);
    // Never early at any point of the frame, and done when its last byte is due (timers round up to 1 ms).
    neverEarly(p, from, before, started, 11_520);
    const elapsed = (p.chunks.at(-1)?.at ?? 0) - started;
    expect(elapsed).toBeGreaterThanOrEqual(expected);
    expect(elapsed).toBeLessThan(expected + 2);
  });

  it('keeps the line busy back to back, so pipelined responses go at the line rate', async () => {
    const baud = 1_000_000;
    const p = await paced({ baud });
    const { c, clock, received } = p;
    const before = received();
    const from = p.chunks.length;
    const started = clock.now();
    const replies = [0, 1, 2, 3].map((i) => {
      const seq = c.nextSeq();
      const reply = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
      c.send(c.encode('READ', { store: 'journal', offset: i * 15_000, length: 15_000 }, seq));
      return reply;
    });
    const frames = await clock.runUntil(Promise.all(replies));
    expect(frames.map((f) => f.header.offset)).toEqual([0, 15_000, 30_000, 45_000]);
    const expected = ((received() - before) * 10 * 1000) / baud;
    neverEarly(p, from, before, started, baud / 10);
    // Four frames, no gap between them: the last byte of the last one is due at the line rate.
    const elapsed = (p.chunks.at(-1)?.at ?? 0) - started;
    expect(elapsed).toBeGreaterThanOrEqual(expected);
    expect(elapsed).toBeLessThan(expected + 2);
  });

  it('stops taking requests while its output is backed up, instead of buffering without bound', async () => {
    const p = await paced({ baud: 9600 });
    const { t, c, clock, received } = p;
    const before = received();
    const from = p.chunks.length;
    const started = clock.now();
    for (let i = 0; i < 400; i++) c.send(c.encode('READ', { store: 'journal', offset: 0, length: 60_000 }));
    await clock.advance(200);
    const { framesOut, badFrames, executed } = t.stats();
    // About 32 responses waiting for the line and 64 requests queued; the rest were dropped.
    expect(executed.READ ?? 0).toBeLessThanOrEqual(40);
    expect(framesOut).toBeLessThanOrEqual(45);
    expect(badFrames).toBeGreaterThan(250);
    // What did go out went at the line rate, not as fast as it was made.
    neverEarly(p, from, before, started, 960);
    expect(received() - before).toBeGreaterThan(0);
  });

  it('starts a response no earlier than turnaroundMs after its request', async () => {
    const { c, clock } = await paced({ turnaroundMs: 120 });
    const seq = c.nextSeq();
    c.send(c.encode('PING', {}, seq));
    await clock.advance(119);
    expect(c.inbox.filter((f) => f.seq === seq)).toEqual([]);
    await clock.advance(1);
    expect(c.inbox.filter((f) => f.seq === seq)).toMatchObject([{ kind: 'R', type: 'PING' }]);
  });
});

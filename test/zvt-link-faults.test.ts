import { describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { createLinkPair } from '../protocol/transport/memory-link.js';
import { ACK, endOfDay } from '../protocol/zvt/codec/commands.js';
import { SerialApduLink } from '../protocol/zvt/link/serial-link.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { ManualClock } from './helpers/manual-clock.js';
import { readWhole, TEST_SERIAL, zvtRigs } from './helpers/zvt-rig.js';

const rig = zvtRigs(31);

async function rejection(p: Promise<unknown>): Promise<PosdecomError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PosdecomError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('ZVT serial link against a faulty terminal', () => {
  it('repeats a NAKed frame at most twice, then fails with a transport error', async () => {
    const { client, link, terminal } = await rig({ sim: { faults: 'nak=3' } });
    const err = await rejection(client.statusEnquiry());
    expect(err.code).toBe(ErrorCode.TransportWriteFailed);
    expect(err.message).toMatch(/not acknowledged after 3 sends \(nak, nak, nak\)/);
    expect(link.counters).toMatchObject({ naksReceived: 3, repeats: 2, apdusSent: 0 });
    expect(terminal.snapshot().requests).toEqual({});
  });

  it('gets through when the terminal NAKs fewer times than the repeats allow', async () => {
    const { client, link } = await rig({ sim: { faults: 'nak=2' } });
    expect((await client.statusEnquiry()).ok).toBe(true);
    expect(link.counters).toMatchObject({ naksReceived: 2, repeats: 2 });
  });

  it('recovers from bad CRCs by NAK and repeat: a settlement and a file arrive intact', async () => {
    const { client, link, terminal } = await rig({
      sim: { faults: 'crc=0.2', fileBlockSize: 600, files: { 3: { size: 12_000 } } },
    });
    expect((await client.endOfDay()).ok).toBe(true);
    const { bytes, result } = await readWhole(client, 3);
    expect(result.kind).toBe('complete');
    expect(bytes.equals(terminal.fileBytes(3))).toBe(true);
    expect(link.counters.badCrc).toBeGreaterThan(0);
    expect(link.counters.naksSent).toBe(link.counters.badCrc);
  });

  it('waits out a slow ACK within T2, and when an ACK is later than T2 repeats without running the command twice', async () => {
    // Both ends' timers on one line clock: 150 ms is inside T2 and 400 ms beyond it, exactly.
    const slowClock = new ManualClock();
    const slow = await rig({ sim: { faults: 'slowack=150' }, serial: { t2Ms: 1000 }, clock: slowClock });
    expect((await slowClock.runUntil(slow.client.statusEnquiry())).ok).toBe(true);
    expect(slow.link.counters.repeats).toBe(0);
    expect(slowClock.now()).toBeGreaterThanOrEqual(150);

    const lateClock = new ManualClock();
    const late = await rig({
      sim: { faults: 'slowack=400', seed: 32 },
      serial: { t2Ms: 300 },
      timers: { t3Ms: 3000 },
      clock: lateClock,
    });
    expect((await lateClock.runUntil(late.client.statusEnquiry())).ok).toBe(true);
    expect(late.link.counters.repeats).toBeGreaterThan(0);
    expect(late.link.counters.ackTimeouts).toBeGreaterThan(0);
    expect(late.terminal.snapshot().requests).toEqual({ statusenquiry: 1 });
    expect(late.terminal.snapshot().link?.duplicates).toBeGreaterThan(0);
  });

  it('sends a command again after "please wait" (84 9C) until the terminal takes it', async () => {
    const { client, terminal } = await rig({ sim: { faults: 'wait=2' } });
    expect((await client.statusEnquiry()).ok).toBe(true);
    expect(terminal.snapshot().requests).toEqual({ statusenquiry: 3 });
  });

  it('ACKs at once, starts every transmission with ACK, NAK or DLE STX, and waits for 80 00 00 before its next APDU', async () => {
    // The terminal's line time stands still until the test moves it: an ACK that arrives meanwhile
    // was sent at once, not after a wait.
    const clock = new ManualClock();
    const terminal = await SimulatedZvtTerminal.create({
      seed: 31,
      serial: TEST_SERIAL,
      intermediateStatuses: 2,
      lineClock: clock,
    });
    try {
      const [ours, theirs] = createLinkPair();
      terminal.attach(theirs);
      const starts: number[] = [];
      ours.onData((b) => starts.push(b[0] ?? -1));
      const ecr = new SerialApduLink(ours, { ...TEST_SERIAL, clock });
      const inbox: Buffer[] = [];
      ecr.onApdu((a) => inbox.push(a));
      let acknowledged = false;
      const sent = ecr.send(endOfDay(terminal.workOrderFor().password)).then(() => {
        acknowledged = true;
      });
      await clock.settle();
      expect(acknowledged).toBe(true);
      await sent;
      expect(clock.now()).toBe(0);
      expect(ecr.counters).toMatchObject({ repeats: 0, ackTimeouts: 0 });
      expect(inbox).toHaveLength(2);
      expect(inbox[0]).toEqual(ACK);
      expect(inbox[1]?.subarray(0, 2)).toEqual(Buffer.from([0x04, 0xff]));
      // Master rights: nothing more comes until we answer, however long (within its reply timeout) we wait.
      await clock.advance(1_500);
      expect(inbox).toHaveLength(2);
      await ecr.send(ACK);
      await clock.settle();
      expect(inbox).toHaveLength(3);
      expect(starts.every((b) => b === 0x06 || b === 0x15 || b === 0x10)).toBe(true);
      await ecr.close();
    } finally {
      await terminal.close();
    }
  });

  it('paces its output at the line rate it is given (8N2), and runs T2 from the end of a frame', async () => {
    const baud = 96_000;
    // A 4000-byte block takes ~460 ms on this line: longer than the terminal's T2 of 150 ms,
    // which must therefore start when the frame has gone out, not when it was queued. Both ends
    // run on one line clock, so the schedule is exact whatever the machine's load.
    const clock = new ManualClock();
    const { client, wire, terminal } = await rig({
      sim: { baud, files: { 5: { size: 4000 } }, fileBlockSize: 4000, serial: { t1Ms: 200, t2Ms: 150 } },
      clock,
    });
    let bytes = 0;
    let last = 0;
    wire.onData((b) => {
      bytes += b.length;
      last = clock.now();
    });
    const started = clock.now();
    const { result } = await clock.runUntil(readWhole(client, 5));
    expect(result.kind).toBe('complete');
    const expected = (bytes * 1000) / (baud / 11);
    expect(last - started).toBeGreaterThanOrEqual(expected);
    expect(bytes).toBeGreaterThan(4000);
    expect(terminal.snapshot().link).toMatchObject({ repeats: 0, ackTimeouts: 0 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from '../protocol/transport/memory-link.js';
import { encodeApdu } from '../protocol/zvt/codec/apdu.js';
import {
  ApduReassembler,
  DLE,
  encodeSerialFrame,
  SerialApduLink,
  SerialFrameParser,
  type FrameEvent,
} from '../protocol/zvt/link/index.js';

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function parse(chunks: Buffer[], cap?: number): { events: FrameEvent[]; parser: SerialFrameParser } {
  const events: FrameEvent[] = [];
  const parser = new SerialFrameParser((e) => events.push(e), cap);
  for (const c of chunks) parser.push(c);
  return { events, parser };
}

const frames = (events: FrameEvent[]) => events.flatMap((e) => (e.type === 'frame' ? [e.apdu] : []));

/** APDUs with data rich in 10 (DLE), 02, 03, 06 and 15, short and extended length. */
const apduArb = fc
  .record({
    cls: fc.integer({ min: 0, max: 255 }),
    instr: fc.integer({ min: 0, max: 255 }),
    data: fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .array(fc.constantFrom(0x10, 0x02, 0x03, 0x06, 0x15, 0x00, 0xff), { maxLength: 80 })
        .map((a) => Uint8Array.from(a)),
    ),
    extended: fc.boolean(),
  })
  .map((a) => encodeApdu(a.cls, a.instr, Buffer.from(a.data), a.extended));

/** Line noise between frames: anything but DLE (which could begin a frame) and ACK/NAK (reported as such). */
const noiseArb = fc
  .uint8Array({ maxLength: 40 })
  .map((a) => Buffer.from(a.filter((b) => b !== 0x10 && b !== 0x06 && b !== 0x15)));

describe('ZVT serial framing: the byte-stream parser', () => {
  it('yields the same APDUs whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(apduArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (apdus, cuts) => {
          const stream = Buffer.concat(apdus.map((a) => encodeSerialFrame(a)));
          const { events } = parse(split(stream, cuts));
          expect(frames(events)).toEqual(apdus);
          expect(events.every((e) => e.type === 'frame')).toBe(true);
        },
      ),
    );
  });

  it('skips and counts noise before DLE STX, and reports ACK and NAK bytes between frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(noiseArb, apduArb), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (pairs, cuts) => {
          const stream = Buffer.concat(
            pairs.flatMap(([noise, apdu]) => [
              noise,
              Buffer.from([0x06]),
              encodeSerialFrame(apdu),
              Buffer.from([0x15]),
            ]),
          );
          const { events } = parse(split(stream, cuts));
          expect(frames(events)).toEqual(pairs.map(([, a]) => a));
          const noise = events.reduce((n, e) => n + (e.type === 'noise' ? e.bytes : 0), 0);
          expect(noise).toBe(pairs.reduce((n, [z]) => n + z.length, 0));
          expect(events.filter((e) => e.type === 'ack')).toHaveLength(pairs.length);
          expect(events.filter((e) => e.type === 'nak')).toHaveLength(pairs.length);
        },
      ),
    );
  });

  it('stuffs and unstuffs every byte value 0..255, in every position', () => {
    for (let v = 0; v < 256; v++) {
      const apdu = encodeApdu(0x04, 0x0f, Buffer.from([v, v, 0x10, v, 0x10, 0x10, v]));
      const frame = encodeSerialFrame(apdu);
      const dles = [...apdu].filter((b) => b === DLE).length;
      expect(frame.length).toBe(apdu.length + dles + 6);
      expect(frames(parse([frame]).events)).toEqual([apdu]);
      expect(frames(parse([...frame].map((b) => Buffer.from([b]))).events)).toEqual([apdu]);
    }
  });

  it('never delivers a frame with one corrupted data byte', () => {
    fc.assert(
      fc.property(apduArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (apdu, pos, flip) => {
        const frame = encodeSerialFrame(apdu);
        // Data bytes only (not DLE, not the CRC), and a flip that does not make a DLE: the
        // unescaped content then differs in exactly one byte, which CRC-16 always detects.
        const candidates = [...frame.keys()].filter(
          (i) => i >= 2 && i < frame.length - 4 && frame[i] !== DLE && frame[i - 1] !== DLE,
        );
        if (candidates.length === 0) return;
        const at = candidates[pos % candidates.length] ?? 2;
        const bad = Buffer.from(frame);
        bad[at] = (bad[at] ?? 0) ^ flip;
        if (bad[at] === DLE) return;
        const { events } = parse([bad]);
        expect(frames(events)).toEqual([]);
        expect(events.some((e) => e.type === 'rejected')).toBe(true);
      }),
    );
  });

  it('resynchronises after any garbage once T1 has passed, and delivers the next good frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), apduArb, (garbage, apdu) => {
        const events: FrameEvent[] = [];
        const parser = new SerialFrameParser((e) => events.push(e));
        parser.push(Buffer.from(garbage));
        parser.timeout();
        parser.push(encodeSerialFrame(apdu));
        expect(events[events.length - 1]).toEqual({ type: 'frame', apdu });
        expect(parser.inFrame).toBe(false);
      }),
    );
  });

  it('reports a new DLE STX inside a frame as a truncated frame and takes the new one', () => {
    const apdu = encodeApdu(0x06, 0x0f, Buffer.from([0x27, 0x00]));
    const cut = encodeSerialFrame(encodeApdu(0x04, 0xff, Buffer.from([0x17]))).subarray(0, 5);
    const { events } = parse([Buffer.concat([cut, encodeSerialFrame(apdu)])]);
    expect(events).toEqual([
      { type: 'rejected', reason: 'truncated', bytes: 5 },
      { type: 'frame', apdu },
    ]);
  });

  it('rejects a frame whose LEN disagrees with its data even when the CRC fits', () => {
    const lying = Buffer.from([0x06, 0x0f, 0x05, 0x27, 0x00]);
    const { events } = parse([encodeSerialFrame(lying)]);
    expect(events).toEqual([{ type: 'rejected', reason: 'length-mismatch', bytes: 11 }]);
  });

  it('keeps memory bounded for an endless frame, reports it overlong and recovers', () => {
    const cap = 4096;
    const events: FrameEvent[] = [];
    const parser = new SerialFrameParser((e) => events.push(e), cap);
    parser.push(Buffer.from([0x10, 0x02]));
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 64; i++) {
      parser.push(chunk);
      expect(parser.bufferedBytes).toBeLessThanOrEqual(cap);
    }
    parser.push(Buffer.from([0x10, 0x03, 0x00, 0x00]));
    expect(events).toEqual([{ type: 'rejected', reason: 'overlong', bytes: 64 * 64 * 1024 + 6 }]);
    const apdu = encodeApdu(0x80, 0x00);
    parser.push(encodeSerialFrame(apdu));
    expect(events[1]).toEqual({ type: 'frame', apdu });
  });

  it('carries APDUs of every byte value through a pair of serial links', async () => {
    const [a, b] = createLinkPair();
    const ecr = new SerialApduLink(a);
    const pt = new SerialApduLink(b);
    const got: Buffer[] = [];
    pt.onApdu((x) => got.push(x));
    const sent = Array.from({ length: 16 }, (_, i) =>
      encodeApdu(0x06, 0xd1, Buffer.from(Array.from({ length: 300 }, (_, j) => (i * 16 + j) & 0xff))),
    );
    for (const s of sent) await ecr.send(s);
    expect(got).toEqual(sent);
    expect(ecr.counters).toMatchObject({ apdusSent: 16, acksReceived: 16, repeats: 0 });
    expect(pt.counters).toMatchObject({ apdusReceived: 16, acksSent: 16, naksSent: 0 });
    await ecr.close();
    await pt.close();
  });
});

describe('ZVT native TCP framing: APDUs reassembled by LEN', () => {
  it('yields the same APDUs whatever the chunk boundaries, short and extended LEN alike', () => {
    fc.assert(
      fc.property(
        fc.array(apduArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (apdus, cuts) => {
          const got: Buffer[] = [];
          const r = new ApduReassembler((a) => got.push(a));
          for (const c of split(Buffer.concat(apdus), cuts)) r.push(c);
          expect(got).toEqual(apdus);
          expect(r.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('holds at most one APDU while a long one trickles in', () => {
    const got: Buffer[] = [];
    const r = new ApduReassembler((a) => got.push(a));
    r.push(Buffer.from([0x04, 0x0f, 0xff, 0xff, 0xff]));
    for (let i = 0; i < 65535; i += 1000) {
      r.push(Buffer.alloc(Math.min(1000, 65535 - i), 0x10));
      expect(r.bufferedBytes).toBeLessThanOrEqual(5 + 65535);
    }
    expect(got).toHaveLength(1);
    expect(got[0]?.length).toBe(5 + 65535);
  });
});

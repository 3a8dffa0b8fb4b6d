import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Framer, type FramerEvent } from '../protocol/line/framer.js';
import { decodeFrame, encodeFrame, type Frame } from '../protocol/line/frame.js';
import { decodePayload, encodePayload, compress, decompress } from '../protocol/line/payload.js';

function collect(maxLine: number, chunks: Buffer[], end = false): FramerEvent[] {
  const events: FramerEvent[] = [];
  const framer = new Framer((e) => events.push(e), maxLine);
  for (const c of chunks) framer.push(c);
  if (end) framer.end();
  return events;
}

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

const headerArb = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 5 },
);
const frameArb: fc.Arbitrary<Frame> = fc.record({
  seq: fc.integer({ min: 0, max: 0xffff }),
  kind: fc.constantFrom('Q' as const, 'R' as const, 'E' as const, 'X' as const),
  type: fc.constantFrom('HELLO', 'READ', 'STATUS', 'ERASE_STATUS'),
  header: headerArb,
});

describe('frame codec', () => {
  it('round-trips any frame, with or without an 8-bit data field', () => {
    fc.assert(
      fc.property(frameArb, fc.uint8Array({ maxLength: 300 }), fc.boolean(), (frame, raw, withData) => {
        const data = withData ? encodePayload(Buffer.from(raw), '8bit') : undefined;
        const f: Frame = data ? { ...frame, data } : frame;
        const line = encodeFrame(f, true);
        expect(line[line.length - 1]).toBe(0x0a);
        expect(line.subarray(0, -1).includes(0x0a)).toBe(false);
        const decoded = decodeFrame(line.subarray(0, -1));
        expect(decoded.ok).toBe(true);
        if (decoded.ok) {
          expect(decoded.frame.seq).toBe(f.seq);
          expect(decoded.frame.header).toEqual(JSON.parse(JSON.stringify(f.header)));
          if (data) expect(decodePayload(decoded.frame.data!, '8bit')).toEqual(Buffer.from(raw));
        }
      }),
    );
  });

  it('7-bit frames stay 7-bit even with non-ASCII header text', () => {
    const line = encodeFrame({ seq: 1, kind: 'R', type: 'IDENTIFY', header: { vendor: 'Zähler €' } }, true);
    expect([...line].every((b) => b < 0x80)).toBe(true);
    const d = decodeFrame(line.subarray(0, -1));
    expect(d.ok && d.frame.header.vendor).toBe('Zähler €');
  });

  it('rejects every single-bit corruption, except a hex letter of the crc changing case (the same frame)', () => {
    const frame = { seq: 0xab, kind: 'R' as const, type: 'STATUS', header: { ok: true, tamper: false } };
    const line = encodeFrame(frame).subarray(0, -1);
    // The crc covers seq, so only the crc's own letters may change case and still check.
    const hex = (i: number) => i >= line.length - 8;
    let caseFlips = 0;
    for (let i = 0; i < line.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(line);
        bad[i]! ^= 1 << bit;
        if (bad[i] === 0x0a) continue;
        const d = decodeFrame(bad);
        // SPEC.md s.2.1 (1.1): crc is sent upper case and accepted in either case.
        if (hex(i) && bit === 5 && /[A-Fa-f]/.test(String.fromCharCode(line[i]!))) {
          expect(d).toEqual({ ok: true, frame });
          caseFlips++;
        } else expect(d.ok).toBe(false);
      }
    }
    expect(caseFlips).toBeGreaterThan(2);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        const r = decodeFrame(Buffer.from(junk));
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});

describe('framer', () => {
  it('yields the same lines whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 60 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (rawLines, cuts) => {
          const lines = rawLines.map((l) => Buffer.from(l.filter((b) => b !== 0x0a && b !== 0x0d)));
          const stream = Buffer.concat(lines.map((l) => Buffer.concat([l, Buffer.from('\r\n')])));
          const events = collect(100, split(stream, cuts));
          const got = events.filter((e) => e.type === 'line').map((e) => (e as { line: Buffer }).line);
          expect(got).toEqual(lines.filter((l) => l.length > 0));
          expect(events.filter((e) => e.type === 'discarded' && e.reason === 'empty').length).toBe(
            lines.filter((l) => l.length === 0).length,
          );
        },
      ),
    );
  });

  it('drops and reports overlong lines, then resynchronises at the next LF', () => {
    const long = Buffer.alloc(5000, 0x41);
    const events = collect(1024, [long, Buffer.from('\nok\n')]);
    expect(events).toEqual([
      { type: 'discarded', reason: 'overlong', bytes: 5000 },
      { type: 'line', line: Buffer.from('ok') },
    ]);
  });

  it('keeps memory bounded for endless bytes without a newline', () => {
    const events: FramerEvent[] = [];
    const framer = new Framer((e) => events.push(e), 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x42);
    for (let i = 0; i < 200; i++) {
      framer.push(chunk);
      expect(framer.bufferedBytes).toBeLessThanOrEqual(1025);
    }
    framer.end();
    expect(events).toEqual([{ type: 'discarded', reason: 'overlong', bytes: 200 * 64 * 1024 }]);
  });

  it('reports a partial last line as truncated instead of passing it on', () => {
    expect(collect(100, [Buffer.from('whole\npart')], true)).toEqual([
      { type: 'line', line: Buffer.from('whole') },
      { type: 'discarded', reason: 'truncated', bytes: 4 },
    ]);
  });

  it('keeps bytes >= 0x80 intact (no UTF-8 decoding)', () => {
    const raw = Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28]);
    const events = collect(100, [raw, Buffer.from('\n')]);
    expect(events).toEqual([{ type: 'line', line: raw }]);
  });
});

describe('payload encodings', () => {
  it('round-trip in both encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (raw) => {
        const b = Buffer.from(raw);
        for (const enc of ['b64', '8bit'] as const) {
          const text = encodePayload(b, enc);
          expect(text.includes(0x0a) || text.includes(0x0d) || text.includes(0x00)).toBe(false);
          if (enc === 'b64') expect([...text].every((x) => x < 0x80)).toBe(true);
          expect(decodePayload(text, enc)).toEqual(b);
        }
      }),
    );
  });

  it('bounds inflation by the declared length', () => {
    const bomb = compress(Buffer.alloc(10 * 1024 * 1024));
    expect(decompress(bomb, 4096)).toBeUndefined();
    expect(decompress(compress(Buffer.from('hello')), 5)).toEqual(Buffer.from('hello'));
  });
});

import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Frame } from '../protocol/line/frame.js';
import { compress, decodePayload, encodePayload, type PayloadEncoding } from '../protocol/line/payload.js';
import { deflateToLength } from '../agent/transcript/deflate.js';
import { MASKED_MAC, MaskSession, StoreFlags, maskPans } from '../agent/transcript/mask.js';

const line = (f: Frame) => encodeFrame(f).subarray(0, -1);
const decode = (b: Buffer) => {
  const d = decodeFrame(b);
  if (!d.ok) throw new Error(`not a frame: ${d.reason}`);
  return d.frame;
};

/** A session that has negotiated `enc` and listed the stores, as the recorder sees one. */
function negotiated(enc: PayloadEncoding, stores: { name: string; cardData: boolean }[]): MaskSession {
  const m = new MaskSession(new StoreFlags());
  m.mask(
    'in',
    line({ seq: 1, kind: 'R', type: 'HELLO', header: { ok: true, enc, z: 'deflate' } }),
    undefined,
  );
  m.mask('in', line({ seq: 2, kind: 'R', type: 'STORES', header: { ok: true, stores } }), undefined);
  return m;
}

function readReply(m: MaskSession, store: string, raw: Buffer, enc: PayloadEncoding, z: boolean, seq = 3) {
  m.mask(
    'out',
    line({ seq, kind: 'Q', type: 'READ', header: { store, offset: 0, length: raw.length } }),
    undefined,
  );
  const data = encodePayload(z ? compress(raw) : raw, enc);
  const header = { ok: true, store, offset: 0, length: raw.length, z: z ? 'deflate' : 'none' };
  const original = line({ seq, kind: 'R', type: 'READ', header, data });
  return { original, result: m.mask('in', original, undefined) };
}

const CARD_RECORD = Buffer.from(
  '\xa5B\x00\x40TID55774795\x1cSTAN000001\x1cSALE\x1c2541389126496735\x1c3001\x1cT2=;2541389126496735=30012210830577727208?\x1cSMITH/JANE\x1e'.repeat(
    40,
  ),
  'latin1',
);

describe('masking a recorded frame', () => {
  it('zeroes the MAC of AUTH and nothing else', () => {
    const m = new MaskSession(new StoreFlags());
    const mac = 'ab'.repeat(32);
    const out = m.mask(
      'out',
      line({ seq: 4, kind: 'Q', type: 'AUTH', header: { nonce: 'n1', mac } }),
      undefined,
    );
    expect(out.masked).toBe('mac');
    expect(decode(out.line).header).toEqual({ nonce: 'n1', mac: MASKED_MAC });
    expect(out.line.toString('latin1')).not.toContain(mac);
  });

  for (const enc of ['8bit', 'b64'] as const) {
    for (const z of [true, false]) {
      it(`masks card data (${enc}, ${z ? 'deflate' : 'no compression'}) keeping the DATA field's length`, () => {
        const m = negotiated(enc, [{ name: 'batch', cardData: true }]);
        const { original, result } = readReply(m, 'batch', CARD_RECORD, enc, z);
        expect(result.masked).toBe('card-data');
        const before = decode(original);
        const after = decode(result.line);
        // The agent sizes its next READ from this length: it must not change.
        expect(after.data!.length).toBe(before.data!.length);
        expect(after.header).toEqual(before.header);
        const payload = decodePayload(after.data!, enc)!;
        const raw = z ? inflateRawSync(payload) : payload;
        expect(raw.length).toBe(CARD_RECORD.length);
        const text = raw.toString('latin1');
        expect(text).not.toMatch(/\d/);
        expect(text).not.toContain('SMITH');
        // Framing bytes stay: the record structure is still there for a vendor to read.
        expect(raw[0]).toBe(0xa5);
        expect(raw.indexOf(0x1c)).toBe(CARD_RECORD.indexOf(0x1c));
      });
    }
  }

  it('treats a store the terminal never listed as holding card data', () => {
    const m = negotiated('8bit', [{ name: 'journal', cardData: false }]);
    const { result } = readReply(m, 'mystery', CARD_RECORD, '8bit', true);
    expect(result.masked).toBe('card-data');
  });

  it('keeps a store marked as card data masked even if a later STORES says otherwise', () => {
    const flags = new StoreFlags();
    flags.note([{ name: 'saf', cardData: true }]);
    flags.note([{ name: 'saf', cardData: false }]);
    expect(flags.holdsCardData('saf')).toBe(true);
  });

  it('masks only Luhn-valid digit runs in a store without card data', () => {
    const m = negotiated('b64', [{ name: 'logs', cardData: false }]);
    const log = Buffer.from(
      'ERROR card 4111111111111111 declined, stan 000123456789, 2025-06-02 10:00:00\n',
      'latin1',
    );
    const { original, result } = readReply(m, 'logs', log, 'b64', false);
    expect(result.masked).toBe('pan');
    const raw = decodePayload(decode(result.line).data!, 'b64')!.toString('latin1');
    expect(raw).toBe('ERROR card XXXXXXXXXXXXXXXX declined, stan 000123456789, 2025-06-02 10:00:00\n');
    // An ordinary log chunk is recorded byte for byte.
    const plain = readReply(
      m,
      'logs',
      Buffer.from('INFO  printer  receipt printed (22 lines)\n'),
      'b64',
      false,
      9,
    );
    expect(plain.result.line.equals(plain.original)).toBe(true);
    expect(plain.result.masked).toBeUndefined();
    expect(original.length).toBe(result.line.length);
  });

  it('withholds READ data it cannot decode rather than record it', () => {
    const m = new MaskSession(new StoreFlags());
    // No HELLO seen: the encoding is unknown.
    m.mask(
      'out',
      line({ seq: 3, kind: 'Q', type: 'READ', header: { store: 'batch', offset: 0, length: 10 } }),
      undefined,
    );
    const data = Buffer.from('4111111111111111');
    const out = m.mask(
      'in',
      line({ seq: 3, kind: 'R', type: 'READ', header: { ok: true }, data }),
      undefined,
    );
    expect(out.masked).toBe('card-data;withheld');
    expect(decode(out.line).data).toBeUndefined();
  });

  it('keeps only slot, type and a 6-hex check value in KEYS replies', () => {
    const m = new MaskSession(new StoreFlags());
    const slots = [
      { slot: 1, type: 'TMK', kcv: '814D6E', key: '0123456789ABCDEFFEDCBA9876543210' },
      { slot: 2, type: 'TPK', kcv: '0123456789ABCDEF0123456789ABCDEF' },
      { slot: 3, type: 'TAK', kcv: null },
    ];
    const out = m.mask(
      'in',
      line({ seq: 5, kind: 'R', type: 'KEYS', header: { ok: true, slots, debug: 'x' } }),
      undefined,
    );
    expect(out.masked).toBe('keys');
    expect(decode(out.line).header).toEqual({
      ok: true,
      slots: [
        { slot: 1, type: 'TMK', kcv: '814D6E' },
        { slot: 2, type: 'TPK', kcv: 'masked' },
        { slot: 3, type: 'TAK', kcv: null },
      ],
    });
    const honest = line({ seq: 6, kind: 'R', type: 'KEYS', header: { ok: true, slots: [slots[2]] } });
    expect(m.mask('in', honest, undefined).line.equals(honest)).toBe(true);
  });

  it('finds PANs at the edges of a chunk and leaves 20-digit runs alone', () => {
    const masked = maskPans(Buffer.from('4111111111111111|12345678901234567893', 'latin1'));
    expect(masked.toString('latin1')).toBe('XXXXXXXXXXXXXXXX|12345678901234567893');
  });
});

describe('deflate to an exact length', () => {
  // Padding groups are 5+ raw bytes (7+ encoded in 8bit), so a few tiny gaps cannot be filled.
  const fillable = { '8bit': 12, b64: 5 };

  it('inflates to the bytes and encodes to exactly the target: no gap, or any gap from a few bytes up', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.string({ maxLength: 3000 }).map((t) => Buffer.from(t)),
        ),
        fc.constantFrom<PayloadEncoding>('8bit', 'b64'),
        fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2000 })),
        (bytes, enc, extra) => {
          const raw = Buffer.from(bytes);
          const shortest = encodePayload(compress(raw), enc).length;
          const gap = extra === 0 ? 0 : fillable[enc] + extra;
          const target = enc === 'b64' ? Math.ceil((shortest + gap) / 4) * 4 : shortest + gap;
          const fitted = deflateToLength(raw, enc, target);
          expect(fitted).toBeDefined();
          expect(encodePayload(fitted!, enc).length).toBe(target);
          expect(inflateRawSync(fitted!).equals(raw)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives up, rather than lie, when the target is shorter than any deflate of the bytes', () => {
    const random = randomBytes(2000);
    expect(deflateToLength(random, '8bit', 100)).toBeUndefined();
  });
});

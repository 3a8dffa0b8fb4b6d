import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Frame } from '../protocol/line/frame.js';
import { compress, decodePayload, encodePayload, type PayloadEncoding } from '../protocol/line/payload.js';
import { deflateToLength } from '../agent/transcript/deflate.js';
import { MASKED_MAC, MaskSession, StoreFlags, revealsCardData } from '../agent/transcript/mask.js';
import { CHANGED } from '../agent/transcript/withhold.js';
import { RandomnessTally, randomness } from '../wipe/erasure/randomness.js';

const popcount = (b: number): number => {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
};

const line = (f: Frame) => encodeFrame(f).subarray(0, -1);
const decode = (b: Buffer) => {
  const d = decodeFrame(b);
  if (!d.ok) throw new Error(`not a frame: ${d.reason}`);
  return d.frame;
};

/** A session that has negotiated `enc` and listed the stores, as the recorder sees one. */
function negotiated(
  enc: PayloadEncoding,
  stores: { name: string; cardData: boolean; size?: number }[],
): MaskSession {
  const m = new MaskSession(new StoreFlags());
  m.mask(
    'in',
    line({ seq: 1, kind: 'R', type: 'HELLO', header: { ok: true, enc, z: 'deflate' } }),
    undefined,
  );
  m.mask('in', line({ seq: 2, kind: 'R', type: 'STORES', header: { ok: true, stores } }), undefined);
  return m;
}

function readReply(
  m: MaskSession,
  store: string,
  raw: Buffer,
  enc: PayloadEncoding,
  z: boolean,
  seq = 3,
  offset = 0,
) {
  m.mask(
    'out',
    line({ seq, kind: 'Q', type: 'READ', header: { store, offset, length: raw.length } }),
    undefined,
  );
  const data = encodePayload(z ? compress(raw) : raw, enc);
  const header = { ok: true, store, offset, length: raw.length, z: z ? 'deflate' : 'none' };
  const original = line({ seq, kind: 'R', type: 'READ', header, data });
  return { original, result: m.mask('in', original, undefined) };
}

/** The raw bytes a recorded READ reply carries. */
function recorded(out: { line: Buffer }, enc: PayloadEncoding): Buffer {
  const f = decode(out.line);
  const payload = decodePayload(f.data ?? Buffer.alloc(0), enc)!;
  return f.header.z === 'deflate' ? inflateRawSync(payload) : payload;
}

const PAN = '2541389126496735';
/** Card data in every encoding a terminal might keep: ASCII, track 2, a name, packed BCD (tag 5A). */
const CARD_RECORD = Buffer.concat(
  Array.from({ length: 40 }, () =>
    Buffer.concat([
      Buffer.from(
        `\xa5B\x00\x40TID55774795\x1cSTAN000001\x1cSALE\x1c${PAN}\x1c3001\x1cT2=;${PAN}=30012210830577727208?\x1cSMITH/JANE\x1c`,
        'latin1',
      ),
      Buffer.from(`5a08${PAN}`, 'hex'),
      Buffer.of(0x1e),
    ]),
  ),
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
      it(`withholds card data entirely (${enc}, ${z ? 'deflate' : 'no compression'}), keeping every length`, () => {
        const m = negotiated(enc, [{ name: 'batch', cardData: true }]);
        const { original, result } = readReply(m, 'batch', CARD_RECORD, enc, z);
        expect(result.masked).toBe('card-data;withheld');
        const before = decode(original);
        const after = decode(result.line);
        // The agent sizes its next READ from this length: it must not change.
        expect(after.data!.length).toBe(before.data!.length);
        expect(after.header).toEqual(before.header);
        const raw = recorded(result, enc);
        expect(raw.length).toBe(CARD_RECORD.length);
        // Not one byte of the data: no digit, no name, no BCD, not even the record framing (in
        // uncompressed 8bit, an escaped byte (NUL, LF, CR, "=") where the field needs it to keep
        // its length).
        const escaped = [0x00, 0x0a, 0x0d, 0x3d];
        expect(
          [...new Set(raw)].every((b) => b === 0x58 || (escaped.includes(b) && enc === '8bit' && !z)),
        ).toBe(true);
      });
    }
  }

  it('treats a store the terminal never listed as holding card data', () => {
    const m = negotiated('8bit', [{ name: 'journal', cardData: false }]);
    const { result } = readReply(m, 'mystery', CARD_RECORD, '8bit', true);
    expect(result.masked).toBe('card-data;withheld');
  });

  it('keeps a store marked as card data withheld even if a later STORES says otherwise', () => {
    const flags = new StoreFlags();
    flags.note([{ name: 'saf', cardData: true }]);
    flags.note([{ name: 'saf', cardData: false }]);
    expect(flags.holdsCardData('saf')).toBe(true);
  });

  it('fills so that a replayed erase read-back reaches the live verdict: zeros, the same, or changed', () => {
    const m = negotiated('8bit', [{ name: 'saf', cardData: true, size: 8192 }]);
    const block = (fill: number) => Buffer.alloc(4096, fill);
    const first = Buffer.concat([CARD_RECORD.subarray(0, 4096), CARD_RECORD.subarray(100, 4196)]);
    // The backup reads the store in two replies that do not follow block boundaries.
    const a = recorded(readReply(m, 'saf', first.subarray(0, 5000), '8bit', true, 3, 0).result, '8bit');
    const b = recorded(readReply(m, 'saf', first.subarray(5000), '8bit', true, 4, 5000).result, '8bit');
    const backup = Buffer.concat([a, b]);
    m.mask(
      'out',
      line({ seq: 5, kind: 'Q', type: 'ERASE', header: { op: 'e', store: 'saf', method: 'crypto' } }),
      undefined,
    );
    const readBack = (bytes: Buffer, offset: number, seq: number) =>
      recorded(readReply(m, 'saf', bytes, '8bit', true, seq, offset).result, '8bit');
    // Block 0 left as it was (a lying terminal), block 1 zeroed, then block 1 random.
    expect(readBack(first.subarray(0, 4096), 0, 6).equals(backup.subarray(0, 4096))).toBe(true);
    expect(readBack(block(0), 4096, 7).equals(block(0))).toBe(true);
    const changed = readBack(randomBytes(4096), 4096, 8);
    expect(changed.equals(backup.subarray(4096))).toBe(false);
    expect(changed.equals(CHANGED)).toBe(true);
    expect(readBack(block(0xff), 4096, 9).equals(block(0xff))).toBe(true);
  });

  it('withholds a changed block as a pattern erase verification takes for ciphertext, far from every withheld block', () => {
    // One block, and the 2,000 blocks of a 64 MiB store's sample: both pass the randomness tests.
    expect(randomness(CHANGED, 'block').passed).toBe(true);
    const sample = new RandomnessTally();
    for (let i = 0; i < 2000; i++) sample.add(CHANGED);
    expect(sample.verdict('sample').passed).toBe(true);
    // About half its bits differ from a block withheld as first read ('X'): not "nearly equal".
    let differing = 0;
    for (const b of CHANGED) differing += popcount(b ^ 0x58);
    expect(differing / (CHANGED.length * 8)).toBeGreaterThan(0.4);
    // 8bit without compression: the DATA field keeps its length, and the balance holds.
    const m = negotiated('8bit', [{ name: 'saf', cardData: true, size: 4096 * 64 }]);
    readReply(m, 'saf', CARD_RECORD.subarray(0, 4096), '8bit', false, 3, 0);
    m.mask(
      'out',
      line({ seq: 4, kind: 'Q', type: 'ERASE', header: { op: 'e', store: 'saf', method: 'crypto' } }),
      undefined,
    );
    const tally = new RandomnessTally();
    for (let i = 0; i < 64; i++) {
      const { original, result } = readReply(m, 'saf', randomBytes(4096), '8bit', false, 5 + i, 4096 * i);
      expect(result.line.length).toBe(original.length);
      tally.add(recorded(result, '8bit'));
    }
    expect(tally.verdict('sample').passed).toBe(true);
  });

  it('keeps READ data of a store without card data, until card data turns up: then withholds the store from there on', () => {
    const m = negotiated('b64', [{ name: 'logs', cardData: false }]);
    const plain = readReply(
      m,
      'logs',
      Buffer.from('INFO  printer  receipt printed (22 lines)\n'),
      'b64',
      false,
      3,
    );
    expect(plain.result.line.equals(plain.original)).toBe(true);
    expect(plain.result.masked).toBeUndefined();
    const log = Buffer.from('ERROR card 4111111111111111 declined, 2025-06-02 10:00:00\n', 'latin1');
    const found = readReply(m, 'logs', log, 'b64', false, 4);
    expect(found.result.masked).toBe('card-data;withheld');
    expect(recorded(found.result, 'b64').toString('latin1')).not.toMatch(/\d/);
    const after = readReply(m, 'logs', Buffer.from('INFO  all quiet\n'), 'b64', false, 5);
    expect(after.result.masked).toBe('card-data;withheld');
  });

  it('withholds a reply that ends in the first digits of a card number, and the rest of it in the next', () => {
    const m = negotiated('8bit', [{ name: 'journal', cardData: false }]);
    const cut = readReply(m, 'journal', Buffer.from('SALE VISA 41111111', 'latin1'), '8bit', false, 3);
    expect(cut.result.masked).toBe('card-data;withheld');
    const rest = readReply(m, 'journal', Buffer.from('11111111 APPROVED', 'latin1'), '8bit', false, 4);
    expect(rest.result.masked).toBe('card-data;withheld');
  });

  it('sees card data in every form the PCI scan knows, and not in truncated PANs or dates', () => {
    for (const text of [
      `card ${PAN} x`,
      'card 4111 1111 1111 1111 x',
      `;${PAN}=30012210830577727208?`,
      `%B${PAN}^SMITH/JANE^3001221083057?`,
      'stan 000123456789 and 41111111111111111111 are no PANs, but this ends with 4111111',
    ]) {
      expect(revealsCardData(Buffer.from(text, 'latin1')), text).toBe(true);
    }
    expect(revealsCardData(Buffer.concat([Buffer.from('x'), Buffer.from(`5a08${PAN}`, 'hex')]))).toBe(true);
    // A tag 5A whose value runs past the end of the reply.
    expect(revealsCardData(Buffer.from('785a0825413891', 'hex'))).toBe(true);
    for (const text of [
      'SALE 411111******1111 APPROVED',
      '2025-06-14 10:22:31 TID 87618504 #000123',
      'AID A0000000031010 TVR 0000008000',
      'stan 000123456789 ends 123',
    ]) {
      expect(revealsCardData(Buffer.from(text, 'latin1')), text).toBe(false);
    }
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

  it('leaves out of answers and events every field the protocol does not name, whatever it holds', () => {
    const m = new MaskSession(new StoreFlags());
    const status = {
      ok: true,
      channels: { nfc: 'off' },
      links: { ethernet: 'down' },
      batch: { open: false, count: 0, totals: [], extra: ';4761739001010119=2512?' },
      battery: null,
      tamper: false,
      bound: true,
      authorized: true,
      state: 'active',
      diag: ';4761739001010119=25122011000012300000?',
    };
    const out = m.mask('in', line({ seq: 7, kind: 'R', type: 'STATUS', header: status }), undefined);
    expect(out.masked).toBe('fields');
    const { diag: _diag, ...known } = status;
    expect(decode(out.line).header).toEqual({ ...known, batch: { open: false, count: 0, totals: [] } });
    const event = m.mask(
      'in',
      line({
        seq: 1,
        kind: 'E',
        type: 'PROGRESS',
        header: { op: 'x', done: 1, total: 2, pan: '4111111111111111' },
      }),
      undefined,
    );
    expect(decode(event.line).header).toEqual({ op: 'x', done: 1, total: 2 });
    // Inside a known object too.
    const nested = line({ seq: 8, kind: 'R', type: 'STATUS', header: { ...known, batch: status.batch } });
    expect(m.mask('in', nested, undefined).masked).toBe('fields');
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

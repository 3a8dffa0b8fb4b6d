import { constants, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { encodePayload, type PayloadEncoding } from '../../protocol/line/payload.js';

/**
 * Re-compressing masked bytes must not change the DATA field's length on the wire: the agent
 * sizes its next READ from the compression ratio it observes
 * (protocol/line/bulk-read/read-length.ts), so a shorter masked reply would make a replayed agent
 * ask for different ranges than the recording holds. We deflate the masked bytes and put empty
 * deflate blocks (RFC 1951 s.3.2.3-3.2.6), which inflate to nothing, in front until the length
 * is exact:
 *
 *   pad group* | deflate(masked)      pad group = m empty fixed blocks | one empty stored block
 *
 * An empty fixed-Huffman block is 10 bits; the stored block's header is padded to a byte
 * boundary, so every group ends aligned and the stream after it is untouched. Groups come in
 * sizes 5, 6, 7, 9, 10, ... bytes, so some sum of them fills any gap but the smallest few.
 * Nothing follows the final block: the result is strict deflate.
 */
const ATTEMPTS: ZlibOptions[] = [
  { level: 9 },
  { level: 6 },
  { level: 9, strategy: constants.Z_FILTERED },
  { level: 9, strategy: constants.Z_RLE },
  { level: 1 },
];
const MAX_FIXED = 15;

/**
 * m empty non-final fixed blocks, then an empty non-final stored block, bits packed low bit
 * first. The bits between the stored block's header and the byte boundary are ignored by
 * inflate (s.3.2.4); setting them to 1 instead of 0 changes how 8bit escapes the byte.
 */
function group(m: number, padBit: 0 | 1): Buffer {
  const headerBits = 10 * m + 3;
  const out = Buffer.alloc(Math.ceil(headerBits / 8) + 4);
  // A fixed block is BFINAL 0, BTYPE 01 (low bit first: 1, 0), end-of-block as seven zero bits:
  // only its second bit is set. The stored block's BFINAL and BTYPE are zero bits.
  for (let i = 0; i < m; i++) out[(10 * i + 1) >> 3]! |= 1 << ((10 * i + 1) & 7);
  if (padBit) for (let bit = headerBits; bit % 8 !== 0; bit++) out[bit >> 3]! |= 1 << (bit & 7);
  out.writeUInt16LE(0x0000, out.length - 4); // LEN
  out.writeUInt16LE(0xffff, out.length - 2); // NLEN
  return out;
}

const GROUPS = Array.from({ length: 2 * (MAX_FIXED + 1) }, (_, i) => group(i >> 1, (i & 1) as 0 | 1));

function size(bytes: Buffer, enc: PayloadEncoding): number {
  // In base64 only the raw length counts; 8bit escapes NUL, LF, CR and "=".
  return enc === '8bit' ? encodePayload(bytes, enc).length : bytes.length;
}

const TABLE_LIMIT = 256;
const tables = new Map<PayloadEncoding, (number[] | undefined)[]>();

/** For each gap up to TABLE_LIMIT, the fewest groups (by index) that fill it exactly. */
function table(enc: PayloadEncoding): (number[] | undefined)[] {
  let t = tables.get(enc);
  if (t) return t;
  t = [[]];
  for (let gap = 1; gap <= TABLE_LIMIT; gap++) {
    let best: number[] | undefined;
    GROUPS.forEach((g, i) => {
      const before = t![gap - size(g, enc)];
      if (before && (!best || before.length + 1 < best.length)) best = [...before, i];
    });
    t.push(best);
  }
  tables.set(enc, t);
  return t;
}

/** Groups whose sizes add up to exactly `gap`: runs of the plainest group, then the table. */
function padding(gap: number, enc: PayloadEncoding): Buffer[] | undefined {
  if (gap < 0) return undefined;
  const unit = size(GROUPS[0]!, enc);
  const plain = gap > TABLE_LIMIT ? Math.ceil((gap - TABLE_LIMIT) / unit) : 0;
  const rest = table(enc)[gap - plain * unit];
  if (!rest) return undefined;
  return [...Array<Buffer>(plain).fill(GROUPS[0]!), ...rest.map((i) => GROUPS[i]!)];
}

/**
 * Raw deflate of `raw` whose encoding in `enc` is exactly `target` bytes long, or undefined when
 * every compression of it is too long (or too close below the target) for that.
 */
export function deflateToLength(raw: Buffer, enc: PayloadEncoding, target: number): Buffer | undefined {
  for (const options of ATTEMPTS) {
    const stream = deflateRawSync(raw, options);
    // base64 of n raw bytes is 4*ceil(n/3) long: three raw lengths give the same encoded one.
    const wanted = enc === '8bit' ? [target] : [target * 0.75, target * 0.75 - 1, target * 0.75 - 2];
    for (const w of wanted) {
      const pad = padding(w - size(stream, enc), enc);
      if (!pad) continue;
      const fitted = Buffer.concat([...pad, stream]);
      if (encodePayload(fitted, enc).length === target && inflateRawSync(fitted).equals(raw)) return fitted;
    }
  }
  return undefined;
}

import { constants, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { encodePayload, type PayloadEncoding } from '../protocol/payload.js';

/**
 * Re-compressing masked bytes must not change the DATA field's length on the wire: the agent
 * sizes its next READ from the compression ratio it observes (protocol/bulk-read.ts), so a
 * shorter masked reply would make a replayed agent ask for different ranges than the recording
 * holds. We deflate the masked bytes, then pad the stream to the exact length with empty
 * deflate blocks (RFC 1951 s.3.2.3-3.2.6), which inflate to nothing:
 *
 *   deflate(masked, sync flush) | k empty stored blocks | m empty fixed blocks | final empty block
 *
 * A stored block is 5 bytes once byte-aligned; a fixed-Huffman block is 10 bits, so m and the
 * final block's kind reach every residue the stored blocks cannot.
 */
const ATTEMPTS: ZlibOptions[] = [
  { level: 9 },
  { level: 6 },
  { level: 9, strategy: constants.Z_FILTERED },
  { level: 9, strategy: constants.Z_RLE },
  { level: 1 },
];
const EMPTY_STORED = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
const MAX_FIXED = 15;

/** Bits to bytes, least significant bit first, as deflate packs them. */
function pack(bits: number[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

/** m empty non-final fixed-Huffman blocks, then an empty final block of the given kind. */
function tail(m: number, final: 'fixed' | 'stored'): Buffer {
  const bits: number[] = [];
  // BFINAL, BTYPE=01 (LSB first), then end-of-block: code 256 is seven zero bits.
  for (let i = 0; i < m; i++) bits.push(0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  if (final === 'fixed') bits.push(1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  else {
    bits.push(1, 0, 0);
    while (bits.length % 8 !== 0) bits.push(0);
    for (let i = 0; i < 32; i++) bits.push(i < 16 ? 0 : 1); // LEN 0, NLEN 0xFFFF
  }
  return pack(bits);
}

const TAILS: Buffer[] = [];
for (let m = 0; m <= MAX_FIXED; m++) TAILS.push(tail(m, 'fixed'), tail(m, 'stored'));

function encodedLength(bytes: Buffer, enc: PayloadEncoding): number {
  return encodePayload(bytes, enc).length;
}

/**
 * Raw deflate of `raw` whose encoding in `enc` is exactly `target` bytes long, or undefined when
 * even the best compression is too long (the masked data compresses worse than the original).
 */
export function deflateToLength(raw: Buffer, enc: PayloadEncoding, target: number): Buffer | undefined {
  for (const options of ATTEMPTS) {
    const prefix = deflateRawSync(raw, { ...options, finishFlush: constants.Z_SYNC_FLUSH });
    const fitted = pad(prefix, enc, target);
    if (fitted && inflateRawSync(fitted).equals(raw)) return fitted;
  }
  return undefined;
}

function pad(prefix: Buffer, enc: PayloadEncoding, target: number): Buffer | undefined {
  const prefixLength = enc === '8bit' ? encodedLength(prefix, enc) : prefix.length;
  const storedLength = enc === '8bit' ? encodedLength(EMPTY_STORED, enc) : EMPTY_STORED.length;
  for (const t of TAILS) {
    const tailLength = enc === '8bit' ? encodedLength(t, enc) : t.length;
    // 8bit: lengths add up byte for byte. b64: any raw length with the same 4-byte group count.
    const wanted =
      enc === '8bit' ? [target] : [target * 0.75, target * 0.75 - 1, target * 0.75 - 2].filter((n) => n > 0);
    for (const w of wanted) {
      const gap = w - prefixLength - tailLength;
      if (gap < 0 || gap % storedLength !== 0) continue;
      const fitted = Buffer.concat([prefix, ...Array<Buffer>(gap / storedLength).fill(EMPTY_STORED), t]);
      if (encodedLength(fitted, enc) === target) return fitted;
    }
  }
  return undefined;
}

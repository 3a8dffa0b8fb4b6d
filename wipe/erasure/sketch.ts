import { createHmac } from 'node:crypto';
import { BLOCK_SIZE } from './fingerprints.js';

/**
 * A small keyed sketch of every 4 KiB block taken at backup, so erase verification can measure
 * how *close* a block read back is to any block that was there before, not only whether it
 * changed: a terminal that flips one bit per block (or returns another block's old content)
 * has changed every block, yet left the data readable.
 *
 * The sketch is bit sampling, the locality-sensitive hash for Hamming distance: the same 256 bit
 * positions of every block, chosen by a per-job key the terminal never sees (so it cannot keep
 * the data and scramble only the bits we look at). The Hamming distance of two sketches
 * estimates the fraction of bits in which the blocks differ:
 *
 *   a block and its copy with a few bits flipped     0-2 of 256 sketch bits differ
 *   unrelated data (ciphertext against anything)     128 +- 8
 *
 * A read-back block whose sketch is within NEAR_BELOW (64, a quarter) of a pre-erase block's
 * "equals or nearly equals" it. Truly random data comes that close to a given block with
 * probability 8e-17 (binomial tail), so even a billion comparisons wrongly fail with odds under
 * one in ten million.
 */
export const SKETCH_BITS = 256;
export const SKETCH_BYTES = SKETCH_BITS / 8;
export const NEAR_BELOW = 64;
export const KEY_BYTES = 32;
/**
 * A store's last block may be short: its sketch samples min(256, 8 x length) positions inside
 * it, and "near" means under a quarter of those. Under 128 bits (a tail under 16 bytes) random
 * data would come that close too often (2^-n), so such a tail is not compared at all.
 */
export const MIN_COMPARABLE_BITS = 128;

interface Positions {
  byteAt: Uint16Array;
  maskAt: Uint8Array;
}

export class BlockSketcher {
  /** Names the key without revealing it: a sketch made under another key is never compared. */
  readonly keyId: Buffer;
  private readonly byLength = new Map<number, Positions>();

  constructor(readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RangeError(`a sketch key is ${KEY_BYTES} bytes`);
    this.keyId = createHmac('sha256', key).update('posdecom-sketch/1|id').digest().subarray(0, 8);
  }

  /** How many bits a sketch of a block this long samples. */
  static bits(length: number): number {
    return Math.min(SKETCH_BITS, Math.max(0, length) * 8);
  }

  /** The sketch of one block into out[at, at + 32); bits past `bits(length)` stay 0. */
  sketch(block: Buffer, out: Buffer = Buffer.alloc(SKETCH_BYTES), at = 0): Buffer {
    out.fill(0, at, at + SKETCH_BYTES);
    const { byteAt, maskAt } = this.positions(Math.min(block.length, BLOCK_SIZE));
    for (let j = 0; j < byteAt.length; j++) {
      if ((block[byteAt[j]!]! & maskAt[j]!) !== 0) out[at + (j >> 3)]! |= 1 << (j & 7);
    }
    return out;
  }

  /** The sampled bit positions for a block of `length` bytes: keyed, distinct, in block order. */
  private positions(length: number): Positions {
    const known = this.byLength.get(length);
    if (known) return known;
    const space = length * 8;
    const want = BlockSketcher.bits(length);
    const chosen = new Set<number>();
    for (let counter = 0; chosen.size < want; counter++) {
      const label = `posdecom-sketch/1|positions|${length}|${counter}`;
      const d = createHmac('sha256', this.key).update(label).digest();
      for (let i = 0; i + 4 <= d.length && chosen.size < want; i += 4) chosen.add(d.readUInt32BE(i) % space);
    }
    const sorted = [...chosen].sort((a, b) => a - b);
    const p: Positions = {
      byteAt: Uint16Array.from(sorted, (bit) => bit >> 3),
      maskAt: Uint8Array.from(sorted, (bit) => 1 << (bit & 7)),
    };
    this.byLength.set(length, p);
    return p;
  }
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance of the sketches at a[ai] and b[bi] (byte offsets). */
export function sketchDistance(a: Buffer, ai: number, b: Buffer, bi: number): number {
  let d = 0;
  for (let k = 0; k < SKETCH_BYTES; k += 4)
    d += popcount32((a.readUInt32LE(ai + k) ^ b.readUInt32LE(bi + k)) >>> 0);
  return d;
}

const PAGE_SKETCHES = 2048;

/** Accepts a store's bytes in arbitrary pieces, in order; one sketch per block, packed. */
export class SketchAccumulator {
  private readonly partial = Buffer.alloc(BLOCK_SIZE);
  private held = 0;
  private readonly pages: Buffer[] = [];
  private used = PAGE_SKETCHES;

  constructor(private readonly sketcher: BlockSketcher) {}

  /** Goes on after `sketches` made by the same sketcher for the whole blocks before (a resumed backup). */
  static resume(sketcher: BlockSketcher, sketches: Buffer): SketchAccumulator {
    const a = new SketchAccumulator(sketcher);
    const pageBytes = PAGE_SKETCHES * SKETCH_BYTES;
    for (let at = 0; at < sketches.length; at += pageBytes) {
      const page = Buffer.alloc(pageBytes);
      a.used = sketches.copy(page, 0, at, at + pageBytes) / SKETCH_BYTES;
      a.pages.push(page);
    }
    return a;
  }

  /** The sketches of the whole blocks so far; undefined while a block is half seen. */
  wholeBlocks(): Buffer | undefined {
    if (this.held > 0) return undefined;
    const last = this.pages.length - 1;
    return Buffer.concat(
      this.pages.map((page, i) => (i === last ? page.subarray(0, this.used * SKETCH_BYTES) : page)),
    );
  }

  push(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.held === 0 && bytes.length - at >= BLOCK_SIZE) {
        this.emit(bytes.subarray(at, at + BLOCK_SIZE));
        at += BLOCK_SIZE;
        continue;
      }
      const take = Math.min(bytes.length - at, BLOCK_SIZE - this.held);
      bytes.copy(this.partial, this.held, at, at + take);
      this.held += take;
      at += take;
      if (this.held === BLOCK_SIZE) {
        this.emit(this.partial);
        this.held = 0;
      }
    }
  }

  /** Every sketch so far, a final partial block included. */
  finish(): Buffer {
    if (this.held > 0) {
      this.emit(this.partial.subarray(0, this.held));
      this.held = 0;
    }
    const last = this.pages.length - 1;
    return Buffer.concat(
      this.pages.map((page, i) => (i === last ? page.subarray(0, this.used * SKETCH_BYTES) : page)),
    );
  }

  private emit(block: Buffer): void {
    if (this.used === PAGE_SKETCHES) {
      this.pages.push(Buffer.alloc(PAGE_SKETCHES * SKETCH_BYTES));
      this.used = 0;
    }
    this.sketcher.sketch(block, this.pages[this.pages.length - 1]!, this.used * SKETCH_BYTES);
    this.used++;
  }
}

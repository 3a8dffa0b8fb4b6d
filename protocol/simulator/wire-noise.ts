import { Prng } from './prng.js';

/**
 * The damage a noisy wire does to a simulated terminal's output: single-bit flips at a rate
 * per bit, and whole bytes lost at a rate per byte. Each draws from its own seeded stream, so
 * adding drops to a scenario does not move where its bit errors land, and the same seed gives
 * the same damage in every simulator.
 */
export class WireNoise {
  private readonly bitRng: Prng;
  private readonly dropRng: Prng;
  private bitsToFlip: number;
  private bytesToDrop: number;

  constructor(
    seed: number,
    private readonly bitError: number | undefined,
    private readonly drop: number | undefined,
  ) {
    this.bitRng = Prng.from(seed, 'fault|bit-error');
    this.dropRng = Prng.from(seed, 'fault|drop');
    this.bitsToFlip = bitError ? Math.floor(this.bitRng.gap(bitError)) : Infinity;
    this.bytesToDrop = drop ? Math.floor(this.dropRng.gap(drop)) : Infinity;
  }

  /** The bytes as they arrive at the far end: bit flips first, then dropped bytes. */
  corrupt(bytes: Buffer): Buffer {
    if (this.bitsToFlip === Infinity && this.bytesToDrop === Infinity) return bytes;
    const out = Buffer.from(bytes);
    const bits = out.length * 8;
    while (this.bitsToFlip < bits) {
      const at = this.bitsToFlip;
      out[at >> 3]! ^= 1 << (at & 7);
      this.bitsToFlip += 1 + Math.floor(this.bitRng.gap(this.bitError!));
    }
    this.bitsToFlip -= bits;
    if (this.bytesToDrop >= out.length) {
      this.bytesToDrop -= out.length;
      return out;
    }
    const kept: Buffer[] = [];
    let from = 0;
    while (this.bytesToDrop < out.length) {
      kept.push(out.subarray(from, this.bytesToDrop));
      from = this.bytesToDrop + 1;
      this.bytesToDrop += 1 + Math.floor(this.dropRng.gap(this.drop!));
    }
    kept.push(out.subarray(from));
    this.bytesToDrop -= out.length;
    return Buffer.concat(kept);
  }
}

import { createCipheriv } from 'node:crypto';
import { derive } from '../../simulator/prng.js';
import type { KeySlotProfile } from './models.js';
import type { KeySlot } from '../../domain.js';

/**
 * The secure element's key slots. Key bytes live only in a private field of this object: they
 * are re-derived from the seed at every start, never written to the state file (which holds
 * only which slots were zeroized), and never leave through the protocol; KEYS reports a key
 * check value, computed honestly from the bytes.
 */
export class KeySlots {
  readonly #keys: (Buffer | null)[];
  readonly #kcvs: (string | null)[];

  constructor(
    private readonly profiles: readonly KeySlotProfile[],
    seed: number,
    zeroized: readonly boolean[],
  ) {
    this.#keys = profiles.map((p, i) =>
      p.loaded && zeroized[i] !== true ? keyBytes(derive(seed, `key|${i + 1}|${p.type}`), p) : null,
    );
    this.#kcvs = this.#keys.map((k, i) => (k ? kcv(k, profiles[i]!) : null));
  }

  get count(): number {
    return this.profiles.length;
  }

  slots(): KeySlot[] {
    return this.profiles.map((p, i) => ({ slot: i + 1, type: p.type, kcv: this.#kcvs[i] ?? null }));
  }

  /** Slot numbers (1-based) that still hold a key. */
  loadedSlots(): number[] {
    return this.#keys.flatMap((k, i) => (k ? [i + 1] : []));
  }

  /** Overwrites every key in place, then forgets it. Returns every slot number (all are now empty). */
  zeroize(): number[] {
    for (let i = 0; i < this.#keys.length; i++) {
      this.#keys[i]?.fill(0);
      this.#keys[i] = null;
      this.#kcvs[i] = null;
    }
    return this.profiles.map((_, i) => i + 1);
  }

  /** Per slot: true when the slot is empty because it was zeroized (what the state file keeps). */
  zeroizedFlags(): boolean[] {
    return this.profiles.map((p, i) => p.loaded && this.#keys[i] === null);
  }
}

function keyBytes(material: Buffer, profile: KeySlotProfile): Buffer {
  if (profile.algorithm === 'aes128') return Buffer.from(material.subarray(0, 16));
  // Double-length TDES (K1 K2 K1), odd parity per byte as a real key loader would enforce.
  const key = Buffer.alloc(24);
  material.copy(key, 0, 0, 16);
  material.copy(key, 16, 0, 8);
  for (let i = 0; i < key.length; i++) key[i] = withOddParity(key[i]!);
  return key;
}

function withOddParity(byte: number): number {
  let ones = 0;
  for (let b = byte >> 1; b; b >>= 1) ones += b & 1;
  return (byte & 0xfe) | (ones % 2 === 0 ? 1 : 0);
}

/** KCV: encrypt one zero block under the key, first three bytes, upper-case hex. */
function kcv(key: Buffer, profile: KeySlotProfile): string {
  const algorithm = profile.algorithm === 'aes128' ? 'aes-128-ecb' : 'des-ede3-ecb';
  const cipher = createCipheriv(algorithm, key, null);
  cipher.setAutoPadding(false);
  const block = Buffer.alloc(profile.algorithm === 'aes128' ? 16 : 8);
  return Buffer.concat([cipher.update(block), cipher.final()])
    .subarray(0, 3)
    .toString('hex')
    .toUpperCase();
}

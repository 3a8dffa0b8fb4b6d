import { createHash } from 'node:crypto';

/**
 * Seeded randomness for the simulated terminal. Everything a terminal is (serial, stores,
 * keys, fault timing) is derived from its seed, so the same seed is the same terminal in our
 * CI and in an integrator's. Nonces and session ids are NOT drawn from here: a replayable
 * nonce sequence would defeat the replay protection the simulator is meant to demonstrate.
 */

/** 32 bytes derived from the seed and a label; labels name what the bytes are for. */
export function derive(seed: number, label: string): Buffer {
  return createHash('sha256').update(`posdecom-sim/1|${seed}|${label}`).digest();
}

/** sfc32: small, fast, good enough statistics for test data; state is 128 bits. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seedBytes: Buffer) {
    this.a = seedBytes.readUInt32LE(0);
    this.b = seedBytes.readUInt32LE(4);
    this.c = seedBytes.readUInt32LE(8);
    this.d = seedBytes.readUInt32LE(12) | 1;
    // Discard the first outputs: sfc32 mixes slowly from structured seeds.
    for (let i = 0; i < 12; i++) this.next();
  }

  static from(seed: number, label: string): Prng {
    return new Prng(derive(seed, label));
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  digits(count: number): string {
    let s = '';
    for (let i = 0; i < count; i++) s += String(this.next() % 10);
    return s;
  }

  hex(count: number): string {
    let s = '';
    for (let i = 0; i < count; i++) s += (this.next() & 15).toString(16).toUpperCase();
    return s;
  }

  /** Gap until the next event of a Poisson process with `rate` events per unit. */
  gap(rate: number): number {
    return -Math.log(1 - this.float()) / rate;
  }
}

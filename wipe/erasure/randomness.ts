/**
 * Does a crypto erase's read-back look like ciphertext? Two classic tests on the bytes, each at
 * a documented false-positive rate (the chance that truly random bytes fail it):
 *
 *   byte-class frequency  Pearson chi-square against the uniform distribution over 195 classes:
 *                         each of the 194 byte values that are not an ASCII letter or digit, and
 *                         the 62 letters and digits as one class (probability 62/256); df = 194
 *   runs above/below      Wald-Wolfowitz runs test on the sequence "byte >= 0x80" (the median of
 *                         uniform bytes), two-sided, normal approximation
 *
 * Letters and digits form one class, and all of them lie below 0x80, so both tests give the same
 * answer on a transcript whose card-data bytes were masked letter for letter (README: --record):
 * a recorded erase replays to the verdict it had live. Text, records, a constant fill or data
 * with one bit flipped per block fail both by orders of magnitude.
 *
 * Rates: a block (4 KiB) fails either test with probability 1e-9 each; the whole sample with
 * 1e-6 each. So a truly erased store of B sampled blocks is wrongly failed with probability at
 * most 2e-9 x B + 2e-6 (about 6e-6 for the 2,000 samples of a 64 MiB store).
 */
export const CLASSES = 195;
export const DEGREES_OF_FREEDOM = CLASSES - 1;
/** Chi-square needs at least 5 expected per class; the rarest class has probability 1/256. */
export const MIN_CHI_SQUARE_BYTES = 5 * 256;
/** Below this the runs test's normal approximation is poor. */
export const MIN_RUNS_BYTES = 256;

export const BLOCK_FALSE_POSITIVE = 1e-9;
export const SAMPLE_FALSE_POSITIVE = 1e-6;
/** Standard normal quantiles for those rates: one-sided (chi-square) and two-sided (runs). */
const Z_ONE_SIDED = { block: 5.9978, sample: 4.7534 } as const;
const Z_TWO_SIDED = { block: 6.1094, sample: 4.8916 } as const;

const ALNUM_CLASS = 194;
const CLASS_OF = (() => {
  const table = new Uint8Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    table[b] = alnum ? ALNUM_CLASS : next++;
  }
  return table;
})();

/** Wilson-Hilferty: the chi-square quantile with `df` degrees of freedom at standard normal `z`. */
export function chiSquareQuantile(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

export type Scope = 'block' | 'sample';

export interface RandomnessVerdict {
  bytes: number;
  /** null when there were too few bytes for the test. */
  chiSquare: number | null;
  chiSquareLimit: number;
  /** null when there were too few bytes, or every byte lay on one side of the median. */
  runsZ: number | null;
  runsZLimit: number;
  /** Every byte on one side of the median: as far from random as a sequence gets. */
  oneSided: boolean;
  passed: boolean;
}

/** Counts bytes as they arrive, in any pieces, for one verdict over all of them. */
export class RandomnessTally {
  private readonly counts = new Float64Array(CLASSES);
  private n = 0;
  private high = 0;
  private runs = 0;
  private last = -1;

  add(bytes: Buffer): void {
    const counts = this.counts;
    let last = this.last;
    let runs = this.runs;
    let high = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      counts[CLASS_OF[b]!]!++;
      const h = b >= 0x80 ? 1 : 0;
      high += h;
      if (h !== last) runs++;
      last = h;
    }
    this.last = last;
    this.runs = runs;
    this.high += high;
    this.n += bytes.length;
  }

  verdict(scope: Scope): RandomnessVerdict {
    const chiSquareLimit = chiSquareQuantile(DEGREES_OF_FREEDOM, Z_ONE_SIDED[scope]);
    const runsZLimit = Z_TWO_SIDED[scope];
    const chiSquare = this.n >= MIN_CHI_SQUARE_BYTES ? this.chiSquare() : null;
    const oneSided = this.n > 0 && (this.high === 0 || this.high === this.n);
    const runsZ = this.n >= MIN_RUNS_BYTES && !oneSided ? this.runsZ() : null;
    const passed =
      !(oneSided && this.n >= MIN_RUNS_BYTES) &&
      (chiSquare === null || chiSquare <= chiSquareLimit) &&
      (runsZ === null || Math.abs(runsZ) <= runsZLimit);
    // Rounded for the record: a float's 17 digits read like a card number to a leak scanner.
    return {
      bytes: this.n,
      chiSquare: chiSquare === null ? null : round(chiSquare, 2),
      chiSquareLimit: round(chiSquareLimit, 2),
      runsZ: runsZ === null ? null : round(runsZ, 3),
      runsZLimit,
      oneSided,
      passed,
    };
  }

  private chiSquare(): number {
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      const expected = (this.n * (c === ALNUM_CLASS ? 62 : 1)) / 256;
      const d = this.counts[c]! - expected;
      sum += (d * d) / expected;
    }
    return sum;
  }

  private runsZ(): number {
    const n = this.n;
    const n1 = this.high;
    const n2 = n - n1;
    const mean = (2 * n1 * n2) / n + 1;
    const variance = (2 * n1 * n2 * (2 * n1 * n2 - n)) / (n * n * (n - 1));
    return (this.runs - mean) / Math.sqrt(variance);
  }
}

/** One verdict for `bytes` alone. */
export function randomness(bytes: Buffer, scope: Scope): RandomnessVerdict {
  const t = new RandomnessTally();
  t.add(bytes);
  return t.verdict(scope);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

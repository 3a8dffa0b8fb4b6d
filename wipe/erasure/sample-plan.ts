import { createHash } from 'node:crypto';
import { BLOCK_SIZE } from './fingerprints.js';

/**
 * Which blocks erase verification reads back (NIST SP 800-88 rev.1 s.4.7, REFERENCES.md):
 *
 *   store under 16 MiB   every block (full verification)
 *   16 MiB and more      1,000 subsections; in each at least two non-overlapping pseudorandom
 *                        blocks, more when 2 x 1,000 blocks would be under 10% of the store;
 *                        plus the first and the last block ("quick sampling")
 *
 * The blocks follow from the seed alone, so an auditor given the seed (it is in the evidence)
 * can recompute exactly which blocks were read.
 */
export const MIN_SUBSECTIONS = 1000;
export const MIN_SAMPLES_PER_SUBSECTION = 2;
export const MIN_FRACTION = 0.1;
/** Below this a store is read back in full: sampling it would read most of it anyway. */
export const SAMPLING_FROM_BYTES = 16 * 1024 * 1024;

export interface SamplePlan {
  full: boolean;
  blocks: number[];
  subsections: number;
  samplesPerSubsection: number;
  seed: string;
}

function* pseudoRandom(seed: string): Generator<number> {
  for (let counter = 0; ; counter++) {
    const d = createHash('sha256').update(`${seed}:${counter}`).digest();
    for (let i = 0; i + 4 <= d.length; i += 4) yield d.readUInt32BE(i);
  }
}

export function samplePlan(size: number, seed: string): SamplePlan {
  const totalBlocks = Math.ceil(size / BLOCK_SIZE);
  if (size < SAMPLING_FROM_BYTES) {
    return {
      full: true,
      blocks: Array.from({ length: totalBlocks }, (_, i) => i),
      subsections: totalBlocks,
      samplesPerSubsection: 1,
      seed,
    };
  }
  const perSubsection = Math.max(
    MIN_SAMPLES_PER_SUBSECTION,
    Math.ceil((MIN_FRACTION * totalBlocks) / MIN_SUBSECTIONS),
  );
  // 16 MiB is 4,096 blocks: every subsection spans at least 4, room for two distinct samples.
  const subsectionBlocks = Math.floor(totalBlocks / MIN_SUBSECTIONS);
  const rng = pseudoRandom(seed);
  const chosen = new Set<number>([0, totalBlocks - 1]);
  for (let s = 0; s < MIN_SUBSECTIONS; s++) {
    const start = s * subsectionBlocks;
    const span = s === MIN_SUBSECTIONS - 1 ? totalBlocks - start : subsectionBlocks;
    const picked = new Set<number>();
    const want = Math.min(perSubsection, span);
    while (picked.size < want) picked.add(start + ((rng.next().value as number) % span));
    for (const b of picked) chosen.add(b);
  }
  return {
    full: false,
    blocks: [...chosen].sort((a, b) => a - b),
    subsections: MIN_SUBSECTIONS,
    samplesPerSubsection: perSubsection,
    seed,
  };
}

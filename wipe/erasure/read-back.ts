import { createHash } from 'node:crypto';
import { BLOCK_SIZE, type BlockFingerprints } from './fingerprints.js';

/**
 * The agent's own read-back verification of an erase (NIST SP 800-88 rev.1 s.4.7):
 * at least 1,000 subsections, at least two non-overlapping pseudorandom samples in each plus
 * the first and last block, together at least 10% of the store; small stores are read in full.
 * The terminal's own VERIFY_ERASE is recorded too, but never taken on trust.
 */
export const MIN_SUBSECTIONS = 1000;
export const MIN_SAMPLES_PER_SUBSECTION = 2;
export const MIN_FRACTION = 0.1;

export interface SamplePlan {
  full: boolean;
  blocks: number[];
  subsections: number;
  samplesPerSubsection: number;
  seed: string;
}

/** Deterministic from the seed, so an auditor can recompute which blocks were read. */
function* pseudoRandom(seed: string): Generator<number> {
  for (let counter = 0; ; counter++) {
    const d = createHash('sha256').update(`${seed}:${counter}`).digest();
    for (let i = 0; i + 4 <= d.length; i += 4) yield d.readUInt32BE(i);
  }
}

export function samplePlan(size: number, seed: string): SamplePlan {
  const totalBlocks = Math.ceil(size / BLOCK_SIZE);
  const all = (): SamplePlan => ({
    full: true,
    blocks: Array.from({ length: totalBlocks }, (_, i) => i),
    subsections: totalBlocks,
    samplesPerSubsection: 1,
    seed,
  });
  const perSubsection = Math.max(
    MIN_SAMPLES_PER_SUBSECTION,
    Math.ceil((MIN_FRACTION * totalBlocks) / MIN_SUBSECTIONS),
  );
  const subsectionBlocks = Math.floor(totalBlocks / MIN_SUBSECTIONS);
  // When sampling would read half the store anyway, read all of it.
  if (subsectionBlocks < 2 * perSubsection) return all();
  const rng = pseudoRandom(seed);
  const chosen = new Set<number>([0, totalBlocks - 1]);
  for (let s = 0; s < MIN_SUBSECTIONS; s++) {
    const start = s * subsectionBlocks;
    const span = s === MIN_SUBSECTIONS - 1 ? totalBlocks - start : subsectionBlocks;
    const picked = new Set<number>();
    while (picked.size < perSubsection) picked.add(start + ((rng.next().value as number) % span));
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

export type ErasePattern = 'zeros' | 'changed';

export interface ReadBackResult {
  passed: boolean;
  verification: 'full' | 'sampling';
  readBack: true;
  samples: number;
  bytesRead: number;
  subsections: number;
  samplesPerSubsection: number;
  fractionRead: number;
  seed: string;
  expected: ErasePattern;
  mismatchedBlocks: number;
  firstMismatch: number | null;
}

/**
 * Reads the planned blocks back and checks each against what the method promises:
 * zeros after an overwrite, and for crypto erase a block that no longer matches its
 * fingerprint from before the erase.
 */
export async function readBack(
  size: number,
  plan: SamplePlan,
  expected: ErasePattern,
  fingerprintsBefore: BlockFingerprints,
  readBlock: (offset: number, length: number) => Promise<Buffer>,
  concurrency = 8,
): Promise<ReadBackResult> {
  let bytesRead = 0;
  let mismatched = 0;
  let firstMismatch: number | null = null;
  let next = 0;
  const worker = async () => {
    while (next < plan.blocks.length) {
      const block = plan.blocks[next++]!;
      const offset = block * BLOCK_SIZE;
      const length = Math.min(BLOCK_SIZE, size - offset);
      const bytes = await readBlock(offset, length);
      bytesRead += bytes.length;
      // Without the block's fingerprint from before the erase, a change cannot be shown.
      const ok =
        bytes.length === length &&
        (expected === 'zeros'
          ? bytes.every((b) => b === 0)
          : fingerprintsBefore.matches(block, bytes) === false);
      if (!ok) {
        mismatched++;
        if (firstMismatch === null || offset < firstMismatch) firstMismatch = offset;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return {
    passed: mismatched === 0 && (plan.blocks.length > 0 || size === 0),
    verification: plan.full ? 'full' : 'sampling',
    readBack: true,
    samples: plan.blocks.length,
    bytesRead,
    subsections: plan.subsections,
    samplesPerSubsection: plan.samplesPerSubsection,
    fractionRead: size === 0 ? 1 : Math.round((bytesRead / size) * 10000) / 10000,
    seed: plan.seed,
    expected,
    mismatchedBlocks: mismatched,
    firstMismatch,
  };
}

import { BLOCK_SIZE, type BlockFingerprints } from './fingerprints.js';
import { RandomnessTally, randomness, type RandomnessVerdict } from './randomness.js';
import type { SamplePlan } from './sample-plan.js';
import type { SketchIndex } from './sketch-index.js';
import { BlockSketcher, MIN_COMPARABLE_BITS, NEAR_BELOW, SKETCH_BITS, sketchDistance } from './sketch.js';

export { samplePlan, type SamplePlan } from './sample-plan.js';

/**
 * The agent's own read-back of an erase: it proves the data is gone, not merely changed.
 * Each planned block (sample-plan.ts) is read and must be what the method leaves behind:
 *
 *   expected 'zeros' / 'ones'   the declared pattern, byte for byte (overwrite; a crypto erase
 *                               whose terminal declares that pattern)
 *   expected 'random'           ciphertext (crypto erase): the block passes the randomness tests
 *                               (randomness.ts) and is not equal or nearly equal (sketch.ts) to
 *                               its own block or to any other block from before the erase; and
 *                               the sample as a whole passes the randomness tests
 *
 * A block from before the erase is known only by its keyed sketch (and its keyed fingerprint, which
 * tells an unchanged block): no plaintext is kept outside the encrypted backup. The terminal's own
 * VERIFY_ERASE is recorded too, but never taken on trust.
 */
export type Expected = 'zeros' | 'ones' | 'random';

/** What the store and every other store held before the erase, as sketches. */
export interface PreErase {
  sketcher: BlockSketcher;
  /** Name this store's sketches are indexed under. */
  source: string;
  index: SketchIndex;
  /** This store's keyed fingerprints (fingerprints.ts): a block that matches one is unchanged. */
  fingerprints?: BlockFingerprints;
}

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
  expected: Expected;
  /** Sampled blocks that failed any check below. */
  mismatchedBlocks: number;
  firstMismatch: number | null;
  notPatternBlocks: number;
  notRandomBlocks: number;
  /** Blocks equal or nearly equal (under `nearBelow` of 256 sketch bits) to a pre-erase block. */
  nearPreEraseBlocks: number;
  /** Blocks with no pre-erase sketch, for which "gone" cannot be shown. */
  unsketchedBlocks: number;
  /** The closest pre-erase block any sample came to, when one came near. */
  nearest: { store: string; block: number; distanceBits: number } | null;
  sketch: { bits: number; nearBelow: number };
  /** The randomness tests over the whole sample (expected 'random' only). */
  randomness: RandomnessVerdict | null;
}

export interface ReadBackOptions {
  size: number;
  plan: SamplePlan;
  expected: Expected;
  /** Needed for 'random': without it no block can be shown to differ from what it was. */
  preErase?: PreErase;
  readBlock: (offset: number, length: number) => Promise<Buffer>;
  concurrency?: number;
  /** Bytes read back so far of those planned. */
  onProgress?: (done: number, total: number) => void;
}

type BlockFault = 'length' | 'pattern' | 'random' | 'near' | 'unsketched';

export async function readBack(o: ReadBackOptions): Promise<ReadBackResult> {
  const { size, plan, expected } = o;
  const planned = plan.blocks.reduce((n, b) => n + Math.min(BLOCK_SIZE, size - b * BLOCK_SIZE), 0);
  const faults: Record<BlockFault, number> = { length: 0, pattern: 0, random: 0, near: 0, unsketched: 0 };
  const tally = new RandomnessTally();
  let bytesRead = 0;
  let mismatched = 0;
  let firstMismatch: number | null = null;
  let nearest: ReadBackResult['nearest'] = null;
  let next = 0;
  const worker = async () => {
    while (next < plan.blocks.length) {
      const block = plan.blocks[next++]!;
      const offset = block * BLOCK_SIZE;
      const length = Math.min(BLOCK_SIZE, size - offset);
      const bytes = await o.readBlock(offset, length);
      bytesRead += bytes.length;
      o.onProgress?.(bytesRead, planned);
      const found = checkBlock(bytes, length, block, expected, o.preErase, tally);
      if (found.near && (!nearest || found.near.distanceBits < nearest.distanceBits)) nearest = found.near;
      if (!found.fault) continue;
      faults[found.fault]++;
      mismatched++;
      if (firstMismatch === null || offset < firstMismatch) firstMismatch = offset;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 8) }, worker));
  const sample = expected === 'random' ? tally.verdict('sample') : null;
  return {
    passed: mismatched === 0 && (sample?.passed ?? true) && (plan.blocks.length > 0 || size === 0),
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
    notPatternBlocks: faults.pattern,
    notRandomBlocks: faults.random,
    nearPreEraseBlocks: faults.near,
    unsketchedBlocks: faults.unsketched,
    nearest,
    sketch: { bits: SKETCH_BITS, nearBelow: NEAR_BELOW },
    randomness: sample,
  };
}

/** One block's checks, in order of cost; the first that fails names the fault. */
function checkBlock(
  bytes: Buffer,
  length: number,
  block: number,
  expected: Expected,
  pre: PreErase | undefined,
  tally: RandomnessTally,
): { fault?: BlockFault; near?: NonNullable<ReadBackResult['nearest']> } {
  if (bytes.length !== length) return { fault: 'length' };
  if (expected !== 'random') {
    const byte = expected === 'zeros' ? 0x00 : 0xff;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== byte) return { fault: 'pattern' };
    return {};
  }
  tally.add(bytes);
  const own = pre?.index.blockSketch(pre.source, block);
  if (!pre || !own) return { fault: 'unsketched' };
  if (pre.fingerprints?.matches(block, bytes) === true) {
    return { fault: 'near', near: { store: pre.source, block, distanceBits: 0 } };
  }
  const bits = BlockSketcher.bits(bytes.length);
  if (bits >= MIN_COMPARABLE_BITS) {
    const sketch = pre.sketcher.sketch(bytes);
    const ownDistance = sketchDistance(sketch, 0, own, 0);
    const nearBelow = (NEAR_BELOW * bits) / SKETCH_BITS;
    // Other blocks are sampled at a full block's positions: only a full block compares with them.
    const other =
      ownDistance < nearBelow || bytes.length < BLOCK_SIZE ? undefined : pre.index.nearest(sketch);
    const near =
      ownDistance < nearBelow
        ? { store: pre.source, block, distanceBits: ownDistance }
        : other && { store: other.source, block: other.block, distanceBits: other.distance };
    if (near) return { fault: 'near', near };
  }
  if (!randomness(bytes, 'block').passed) return { fault: 'random' };
  return {};
}

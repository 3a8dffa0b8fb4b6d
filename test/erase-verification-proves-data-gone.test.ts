import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../wipe/erasure/fingerprints.js';
import { chiSquareQuantile, randomness } from '../wipe/erasure/randomness.js';
import { readBack, type Expected } from '../wipe/erasure/read-back.js';
import { samplePlan } from '../wipe/erasure/sample-plan.js';
import { deriveSketcher, readSketches, writeSketches } from '../wipe/erasure/sketch-file.js';
import { SketchIndex } from '../wipe/erasure/sketch-index.js';
import { BlockSketcher, SketchAccumulator, sketchDistance } from '../wipe/erasure/sketch.js';

/**
 * Erase verification proves the data is gone, not merely changed (issue 11, attack 4): blocks
 * that equal or nearly equal any block from before the erase fail, a crypto erase must read back
 * as ciphertext, an overwrite as its pattern. Everything here is seeded: the same run every time.
 */

/** Deterministic pseudo-random bytes (AES-CTR over a label), standing in for ciphertext. */
function pseudoRandom(label: string, length: number): Buffer {
  const key = Buffer.alloc(32, label.length);
  key.write(label.slice(0, 32));
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** A store of text records, like a terminal's journal. */
function textStore(blocks: number, tail = 0): Buffer {
  const want = blocks * BLOCK_SIZE + tail;
  const lines: string[] = [];
  for (let i = 0, length = 0; length < want; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const line = `2025-06-${day} TID 12345678 #${String(i).padStart(6, '0')} SALE EUR ${(i * 37) % 9999}.${i % 100} APPROVED\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('').slice(0, want), 'latin1');
}

const sketcher = new BlockSketcher(Buffer.alloc(32, 7));

function indexOf(stores: Record<string, Buffer>): SketchIndex {
  const index = new SketchIndex();
  for (const [name, bytes] of Object.entries(stores)) {
    const acc = new SketchAccumulator(sketcher);
    acc.push(bytes);
    index.add(name, acc.finish());
  }
  return index;
}

async function check(before: Record<string, Buffer>, store: string, after: Buffer, expected: Expected) {
  const progress: number[] = [];
  const result = await readBack({
    size: after.length,
    plan: samplePlan(after.length, 'seed'),
    expected,
    preErase: { sketcher, source: store, index: indexOf(before) },
    readBlock: (offset, length) => Promise.resolve(after.subarray(offset, offset + length)),
    onProgress: (done) => progress.push(done),
  });
  return { result, progress };
}

describe('the sample plan (NIST SP 800-88 rev.1 s.4.7)', () => {
  const MiB = 1024 * 1024;

  it('reads a store under 16 MiB in full', () => {
    const plan = samplePlan(16 * MiB - 1, 's');
    expect(plan.full).toBe(true);
    expect(plan.blocks).toEqual(Array.from({ length: 4096 }, (_, i) => i));
  });

  it('samples 16 MiB and more: first and last block, two distinct blocks in each of 1,000 subsections, at least 10%', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16 * MiB, max: 4096 * MiB }),
        fc.stringMatching(/^[0-9a-f]{8,32}$/),
        (size, seed) => {
          const plan = samplePlan(size, seed);
          const total = Math.ceil(size / BLOCK_SIZE);
          expect(plan.full).toBe(false);
          expect(plan.subsections).toBeGreaterThanOrEqual(1000);
          expect(plan.samplesPerSubsection).toBeGreaterThanOrEqual(2);
          expect(plan.blocks[0]).toBe(0);
          expect(plan.blocks.at(-1)).toBe(total - 1);
          expect(new Set(plan.blocks).size).toBe(plan.blocks.length);
          expect(plan.blocks.length * BLOCK_SIZE).toBeGreaterThanOrEqual(0.1 * size);
          const span = Math.floor(total / 1000);
          const perSubsection = new Map<number, number>();
          for (const b of plan.blocks) {
            const s = Math.min(999, Math.floor(b / span));
            perSubsection.set(s, (perSubsection.get(s) ?? 0) + 1);
          }
          expect(perSubsection.size).toBe(1000);
          for (const n of perSubsection.values()) expect(n).toBeGreaterThanOrEqual(plan.samplesPerSubsection);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is the same for the same seed, so an auditor can recompute it, and another for another seed', () => {
    expect(samplePlan(64 * MiB, 'a').blocks).toEqual(samplePlan(64 * MiB, 'a').blocks);
    expect(samplePlan(64 * MiB, 'a').blocks).not.toEqual(samplePlan(64 * MiB, 'b').blocks);
  });
});

describe('the randomness tests', () => {
  it('pass ciphertext and fail text, records, a constant fill and text with a bit flipped per block', () => {
    expect(randomness(pseudoRandom('c', BLOCK_SIZE), 'block').passed).toBe(true);
    expect(randomness(pseudoRandom('c', 2_000_000), 'sample').passed).toBe(true);
    expect(randomness(textStore(1), 'block').passed).toBe(false);
    expect(randomness(Buffer.alloc(BLOCK_SIZE, 0xff), 'block')).toMatchObject({
      passed: false,
      oneSided: true,
    });
    const flipped = textStore(1);
    flipped[0]! ^= 1;
    expect(randomness(flipped, 'block').passed).toBe(false);
  });

  it('give the same verdict when letters and digits are replaced by other letters and digits (masked transcripts)', () => {
    const ALNUM = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.constantFrom('X', 'any'), (seed, how) => {
        const bytes = pseudoRandom(`r${seed}`, BLOCK_SIZE);
        const masked = Buffer.from(bytes);
        for (let i = 0; i < masked.length; i++) {
          if (ALNUM.includes(masked[i]!)) masked[i] = how === 'X' ? 0x58 : ALNUM[(i * 7) % ALNUM.length]!;
        }
        const a = randomness(bytes, 'block');
        const b = randomness(masked, 'block');
        expect(b.chiSquare).toBe(a.chiSquare);
        expect(b.runsZ).toBe(a.runsZ);
      }),
      { numRuns: 50 },
    );
  });

  it('use chi-square limits that match the tables (df 194: 227.5 at 5%)', () => {
    expect(chiSquareQuantile(194, 1.6449)).toBeCloseTo(227.5, 0);
  });
});

describe('block sketches', () => {
  it('are 0-1 bits apart for a block with one bit flipped, and about half apart for unrelated data', () => {
    const block = textStore(1);
    const flipped = Buffer.from(block);
    flipped[100]! ^= 0x10;
    const a = sketcher.sketch(block);
    expect(sketchDistance(a, 0, sketcher.sketch(block), 0)).toBe(0);
    expect(sketchDistance(a, 0, sketcher.sketch(flipped), 0)).toBeLessThanOrEqual(1);
    const far = sketchDistance(a, 0, sketcher.sketch(pseudoRandom('x', BLOCK_SIZE)), 0);
    expect(far).toBeGreaterThan(90);
    expect(far).toBeLessThan(166);
  });

  it('sample positions chosen by the key: another key, another sketch', () => {
    const other = new BlockSketcher(Buffer.alloc(32, 8));
    const block = pseudoRandom('k', BLOCK_SIZE);
    expect(other.sketch(block).equals(sketcher.sketch(block))).toBe(false);
  });

  it('are the same whatever pieces the bytes arrive in', () => {
    const store = textStore(3, 1000);
    const whole = new SketchAccumulator(sketcher);
    whole.push(store);
    const pieces = new SketchAccumulator(sketcher);
    for (let at = 0; at < store.length; at += 777) pieces.push(store.subarray(at, at + 777));
    expect(pieces.finish().equals(whole.finish())).toBe(true);
  });

  it('are kept masked under the job key, derived again by every run, and refused under another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'posdecom-sketch-'));
    try {
      const key = await deriveSketcher('7QKM-2F9X-HC4T-8RWZ', 'job-1');
      expect((await deriveSketcher('7QKM-2F9X-HC4T-8RWZ', 'job-1')).keyId.equals(key.keyId)).toBe(true);
      const other = await deriveSketcher('7QKM-2F9X-HC4T-8RWZ', 'job-2');
      expect(other.keyId.equals(key.keyId)).toBe(false);
      const sketches = randomBytes(64);
      await writeSketches(dir, '01-journal.cms', key, sketches);
      expect((await readSketches(dir, '01-journal.cms', key))?.equals(sketches)).toBe(true);
      expect(await readSketches(dir, '01-journal.cms', other)).toBeUndefined();
      expect(await readFile(join(dir, '01-journal.cms.sk'))).not.toContain(sketches.subarray(0, 16));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the read-back of an erased store', () => {
  const journal = textStore(40, 1234);
  const saf = pseudoRandom('encrypted saf records', 20 * BLOCK_SIZE);
  const before = { journal, saf };

  it('passes a crypto erase that left ciphertext, with progress up to every planned byte', async () => {
    const { result, progress } = await check(
      before,
      'journal',
      pseudoRandom('erased', journal.length),
      'random',
    );
    expect(result).toMatchObject({
      passed: true,
      mismatchedBlocks: 0,
      nearPreEraseBlocks: 0,
      verification: 'full',
    });
    expect(progress.at(-1)).toBe(journal.length);
  });

  it('fails every block of a store returned with one bit flipped per 4 KiB block', async () => {
    const lie = Buffer.from(journal);
    for (let at = 0; at < lie.length; at += BLOCK_SIZE) lie[at]! ^= 0x01;
    const { result } = await check(before, 'journal', lie, 'random');
    expect(result.passed).toBe(false);
    expect(result.nearPreEraseBlocks).toBe(result.samples);
  });

  it('fails random-looking data that is another block from before the erase, a bit flipped', async () => {
    // Encrypted records look random already: only the sketches tell they are the old ones, moved.
    const shifted = Buffer.concat([saf.subarray(BLOCK_SIZE), saf.subarray(0, BLOCK_SIZE)]);
    shifted[5]! ^= 0x80;
    const { result } = await check(before, 'saf', shifted, 'random');
    expect(result.passed).toBe(false);
    expect(result.nearPreEraseBlocks).toBe(result.samples);
    expect(result.nearest).toMatchObject({ store: 'saf' });
  });

  it('fails a crypto erase whose read-back is text that was never there (not ciphertext)', async () => {
    const { result } = await check(
      before,
      'journal',
      textStore(41).subarray(5000, 5000 + journal.length),
      'random',
    );
    expect(result.passed).toBe(false);
    expect(result.notRandomBlocks + result.nearPreEraseBlocks).toBe(result.samples);
  });

  it('passes an overwrite that left zeros, and fails one that left a single other byte', async () => {
    const zeros = Buffer.alloc(journal.length);
    expect((await check(before, 'journal', zeros, 'zeros')).result.passed).toBe(true);
    zeros[journal.length - 1] = 1;
    const { result } = await check(before, 'journal', zeros, 'zeros');
    expect(result).toMatchObject({ passed: false, notPatternBlocks: 1, firstMismatch: 40 * BLOCK_SIZE });
  });

  it('fails a crypto erase when there is no sketch from the backup to compare with', async () => {
    const { result } = await check({ saf }, 'journal', pseudoRandom('erased', journal.length), 'random');
    expect(result.passed).toBe(false);
    expect(result.unsketchedBlocks).toBe(result.samples);
  });
});

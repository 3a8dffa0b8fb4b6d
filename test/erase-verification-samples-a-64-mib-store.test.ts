import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { samplePlan } from '../wipe/erasure/sample-plan.js';
import { runJob, testPki } from './helpers/job-harness.js';

/**
 * The sampling path of erase verification on a real job (NIST SP 800-88 rev.1 s.4.7): a 64 MiB
 * store is read back in 1,000 subsections, two pseudorandom blocks in each plus the first and
 * the last, at least 10% of it; the other stores, under 16 MiB, are read back in full. And the
 * read-back shows its progress as the backup does.
 */

const MiB = 1024 * 1024;
let root: string | undefined;

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

describe('erase verification of a 64 MiB store', () => {
  it('samples it (2,002 blocks at most, over 10%, as the seed says), reads the small stores in full, and shows its progress', async () => {
    root = await mkdtemp(join(tmpdir(), 'posdecom-64mib-'));
    const dir = join(root, 'job');
    const terminal = await SimulatedTerminal.create({
      model: 'countertop',
      seed: 64,
      storeScale: 0.125,
      storeSizes: { journal: 64 * MiB },
      eraseBytesPerSecond: 1024 * MiB,
    });
    try {
      const run = await runJob({ peer: terminal, dir });
      expect(run.exitCode, run.output).toBe(0);
      const cert = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
      const journal = cert.steps.find((s) => s.step === 'erase-verification' && s.target === 'journal')!;
      expect(journal.result).toBe('PASS');
      expect(journal.evidence).toMatchObject({
        verification: 'sampling',
        subsections: 1000,
        samplesPerSubsection: 2,
        expected: 'random',
        nearPreEraseBlocks: 0,
      });
      // 2,000 pseudorandom blocks and the first and last, one fewer when a pick is one of those
      // two: exactly the blocks an auditor recomputes from the seed in the evidence.
      const plan = samplePlan(64 * MiB, String(journal.evidence.seed));
      expect(journal.evidence.samples).toBe(plan.blocks.length);
      expect(plan.blocks.length).toBeGreaterThanOrEqual(2001);
      expect(plan.blocks.length).toBeLessThanOrEqual(2002);
      expect(plan.blocks[0]).toBe(0);
      expect(plan.blocks.at(-1)).toBe(64 * 256 - 1);
      expect(journal.evidence.bytesRead).toBe(plan.blocks.length * 4096);
      expect(Number(journal.evidence.fractionRead)).toBeGreaterThanOrEqual(0.1);
      expect(cert.sanitization.verificationMethod).toMatch(/sampling/);
      const config = cert.steps.find((s) => s.step === 'erase-verification' && s.target === 'config')!;
      expect(config.evidence).toMatchObject({ verification: 'full', fractionRead: 1 });
      // The technician sees the read-back move, not "erase 100%" while it runs.
      const shown = run.output.split('\n').filter((l) => / verify journal \d+%/.test(l));
      expect(shown.length).toBeGreaterThanOrEqual(5);
      expect(shown.at(-1)).toMatch(/verify journal 100% \(7\.8 MiB of 7\.8 MiB\)/);
    } finally {
      await terminal.close();
    }
  });
});

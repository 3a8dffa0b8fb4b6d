import { afterAll, describe, expect, it } from 'vitest';
import {
  expectCleanFinish,
  journalOf,
  removeScratch,
  rig,
  runJob,
  scratch,
} from './helpers/fault-harness.js';

/**
 * A whole decommission job over a noisy line: bit errors up to 1e-4 per bit and dropped bytes.
 * Every frame the terminal sends may arrive corrupt; the job still completes, each backup
 * restores to exactly the bytes the terminal held, and the certificate is PASS.
 */

afterAll(removeScratch);

describe('a decommission job on a noisy line', () => {
  it.concurrent.each([
    { faults: 'bit-error=1e-5', seed: 700 },
    { faults: 'bit-error=1e-4', seed: 701 },
    { faults: 'drop=1e-4', seed: 702 },
    { faults: 'bit-error=1e-4,drop=1e-5', seed: 703 },
  ])('completes with byte-exact backups under $faults', async ({ faults, seed }) => {
    const r = await rig({ seed, faults });
    const dir = scratch('noise-job');
    // A lost answer costs one timeout. Short, but not so short that a loaded machine makes a
    // slow answer look lost (150 ms did: the late answers to resent READs stopped the job).
    const run = await runJob(r, dir, { session: { requestTimeoutMs: 1000 } });
    await expectCleanFinish(r, dir, run);
    // The noise was real: the agent had to ask again for answers that arrived spoiled.
    expect(r.terminal.stats().duplicates).toBeGreaterThan(0);
    expect(journalOf(dir).some((e) => e.type === 'resume')).toBe(false);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../wipe/certificate/model.js';
import {
  expectBackupsBeforeErases,
  expectCertificate,
  journalOf,
  removeScratch,
  rig,
  runJob,
  scratch,
} from './helpers/fault-harness.js';

/**
 * A terminal that reports an erase it did not do (`erase-lie=saf`): ERASE_STATUS says done,
 * STORES says erased, its own VERIFY_ERASE says verified, and the data is all still there. Only
 * the agent's read-back can tell, and it must: the certificate says FAIL for that store, the
 * overall result is not PASS, finalize is never attempted, and the exit code is 8.
 */

afterAll(removeScratch);

function recordOf(steps: StepRecord[], step: string, target?: string): StepRecord {
  const found = steps.find((s) => s.step === step && s.target === target);
  if (!found) throw new Error(`no ${step} ${target ?? ''} record`);
  return found;
}

describe('a terminal that lies about erasing a store', () => {
  it.each([
    { model: 'countertop' as const, method: 'crypto', seed: 500 },
    { model: 'unattended' as const, method: 'overwrite3', seed: 501 },
  ])('is caught by the read-back of the $model ($method erase)', async ({ model, method, seed }) => {
    const r = await rig({ seed, model, faults: 'erase-lie=saf' });
    const dir = scratch('erase-lie');
    const run = await runJob(r, dir);
    expect(run.exitCode, run.summary.stopReason ?? '').toBe(8);

    // The saf store still holds exactly what it held before the "erase".
    expect(r.terminal.storeDigest('saf')).toBe(r.truth.get('saf'));
    expect(r.terminal.eraseCount('saf')).toBe(1);
    expect(r.terminal.identity.state).toBe('active');
    expect(r.terminal.stats().executed.FINALIZE ?? 0).toBe(0);

    const cert = await expectCertificate(dir, 'FAIL');
    const verification = recordOf(cert.steps, 'erase-verification', 'saf');
    expect(verification.result).toBe('FAIL');
    // The terminal vouched for the erase; the agent's own reading contradicted it.
    expect(verification.evidence).toMatchObject({
      readBack: true,
      passed: false,
      terminalVerify: { verified: true, method },
      storeAfter: { erased: true },
    });
    expect(Number(verification.evidence.mismatchedBlocks)).toBe(Number(verification.evidence.samples));
    expect(recordOf(cert.steps, 'erase', 'saf').result).toBe('FAIL');
    expect(recordOf(cert.steps, 'finalize').result).not.toBe('PASS');
    expect(cert.overall.reasons.join('\n')).toMatch(/saf/);
    for (const store of r.terminal.storeNames.filter((s) => s !== 'saf')) {
      expect(recordOf(cert.steps, 'erase-verification', store).result, store).toBe('PASS');
      expect(r.terminal.eraseCount(store), store).toBe(1);
    }
    expect(cert.sanitization.result).not.toBe('PASS');

    const entries = journalOf(dir);
    expectBackupsBeforeErases(entries, r.terminal.storeNames);
    expect(
      entries.find((e) => e.type === 'result' && e.step === 'erase' && e.target === 'saf')?.data?.outcome,
    ).toBe('failed');
    expect(entries.find((e) => e.type === 'result' && e.step === 'finalize')?.data?.outcome).toBe('skipped');
    expect(entries.some((e) => e.type === 'intent' && e.step === 'finalize')).toBe(true);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Journal } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { runJob, testPki } from './helpers/job-harness.js';

/**
 * A job that has erased anything ends with a certificate, even when the agent itself fails
 * (issue 11): the runner certifies from the journal, the step that was running is UNKNOWN (its
 * end was never measured), and the exit code is that step's. Here key zeroization throws a
 * programming error after every store was erased.
 */
vi.mock('../agent/workflow/steps/final.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../agent/workflow/steps/final.js')>();
  return {
    ...real,
    zeroizeKeys: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'slot')")),
  };
});

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

describe('an internal error after the erases began', () => {
  it('ends with a signed certificate: the running step UNKNOWN, the erases as measured, exit 8', async () => {
    root = await mkdtemp(join(tmpdir(), 'posdecom-internal-error-'));
    const dir = join(root, 'job');
    const terminal = await SimulatedTerminal.create({ model: 'countertop', seed: 91, storeScale: 0.25 });
    try {
      const run = await runJob({ peer: terminal, dir });
      expect(run.exitCode, run.output).toBe(8);
      expect(run.errors).toMatch(/internal error: Cannot read properties of undefined/);
      expect(existsSync(join(dir, 'certificate.json'))).toBe(true);
      const cert = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
      const keys = cert.steps.find((s) => s.step === 'key-zeroization')!;
      expect(keys.result).toBe('UNKNOWN');
      expect(keys.note).toMatch(/^the job stopped before this step's end could be measured: internal error/);
      for (const store of terminal.storeNames) {
        expect(cert.steps.find((s) => s.step === 'erase-verification' && s.target === store)?.result).toBe(
          'PASS',
        );
      }
      expect(cert.overall.result).not.toBe('PASS');
      const pki = await testPki();
      const report = await verifyCertificate(
        readFileSync(join(dir, 'certificate.json')),
        readFileSync(join(dir, 'certificate.p7s')),
        pki.caCertPem,
        { backupDir: dir },
      );
      expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).toBe(true);
      const journal = Journal.read(join(dir, 'journal.jsonl'));
      expect(journal.at(-1)).toMatchObject({ type: 'result', step: 'certificate', data: { final: false } });
    } finally {
      await terminal.close();
    }
  });
});

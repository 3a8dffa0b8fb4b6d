import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Journal } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { runJob, testPki, type JobRun } from './helpers/job-harness.js';

/**
 * Writing the certificate can fail after the journal and the audit log were sealed (a full disk,
 * a signing error): they end on the certificate's result and are bound by digest as they are.
 * The job writes the certificate once more under the id the journal names, and when that fails
 * too it stops with one clear line: it never logs to the closed audit log (that threw "SonicBoom
 * destroyed" and crashed the job) and never appends to the sealed journal.
 */
const writes = vi.hoisted(() => ({ failures: 0, calls: 0 }));
vi.mock('../wipe/certificate/files.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../wipe/certificate/files.js')>();
  return {
    ...real,
    writeCertificateFiles: (...args: Parameters<typeof real.writeCertificateFiles>) => {
      writes.calls++;
      if (writes.failures > 0) {
        writes.failures--;
        return Promise.reject(new Error('ENOSPC: no space left on device, write'));
      }
      return real.writeCertificateFiles(...args);
    },
  };
});

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

async function job(
  name: string,
  failures: number,
  then?: (dir: string, t: SimulatedTerminal) => Promise<void>,
) {
  root ??= await mkdtemp(join(tmpdir(), 'posdecom-cert-write-'));
  writes.failures = failures;
  writes.calls = 0;
  const dir = join(root, name);
  const terminal = await SimulatedTerminal.create({ model: 'countertop', seed: 61, storeScale: 0.25 });
  try {
    const run = await runJob({ peer: terminal, dir });
    await then?.(dir, terminal);
    return { dir, run };
  } finally {
    await terminal.close();
  }
}

describe('a certificate whose files fail to write after the journal was sealed', () => {
  it('is written again under the id the journal names, and verifies with the journal and audit log it binds', async () => {
    const { dir, run } = await job('once', 1);
    expect(run.exitCode, run.output + run.errors).toBe(0);
    expect(writes.calls).toBe(2);
    expect(run.output + run.errors).toMatch(
      /the certificate could not be written \(.*ENOSPC.*\); writing it again/,
    );
    expect(run.output + run.errors).not.toMatch(/SonicBoom/);
    const cert = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
    const last = Journal.read(join(dir, 'journal.jsonl')).at(-1);
    expect(last).toMatchObject({
      type: 'result',
      step: 'certificate',
      data: { certificateId: cert.certificateId },
    });
    const pki = await testPki();
    const report = await verifyCertificate(
      readFileSync(join(dir, 'certificate.json')),
      readFileSync(join(dir, 'certificate.p7s')),
      pki.caCertPem,
      { backupDir: dir, jobDir: dir },
    );
    expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).toBe(true);
    expect(report.checks.find((c) => c.name === 'bound-files')?.ok).toBe(true);
  });

  it('stops with one clear line when it fails again, and --resume writes it from the journal', async () => {
    let resumed: JobRun | undefined;
    const { dir, run } = await job('twice', 2, async (dir, terminal) => {
      const journal = Journal.read(join(dir, 'journal.jsonl'));
      expect(journal.at(-1)).toMatchObject({ type: 'result', step: 'certificate' });
      const audit = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').at(-1)!;
      expect(JSON.parse(audit)).toMatchObject({ msg: 'certificate issued' });
      expect(existsSync(join(dir, 'certificate.json'))).toBe(false);
      resumed = await runJob({ peer: terminal, dir, options: { resume: true } });
    });
    expect(run.exitCode, run.errors).toBe(1);
    expect(writes.calls).toBe(3);
    expect(run.errors).toMatch(/ENOSPC: no space left on device/);
    expect(run.output + run.errors).not.toMatch(/SonicBoom/);
    expect(resumed!.exitCode, resumed!.output + resumed!.errors).toBe(0);
    const pki = await testPki();
    const report = await verifyCertificate(
      readFileSync(join(dir, 'certificate.json')),
      readFileSync(join(dir, 'certificate.p7s')),
      pki.caCertPem,
      { backupDir: dir, jobDir: dir },
    );
    expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).toBe(true);
  });
});

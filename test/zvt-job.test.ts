import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulator, type SimulatorHandle } from '../protocol/transport/sim-registry.js';
import { runJob, testPki } from './helpers/job-harness.js';

describe('a ZVT decommission against the simulated ZVT terminal', () => {
  const open: SimulatorHandle[] = [];
  afterAll(async () => {
    for (const t of open) await t.close();
    await (await testPki()).dispose();
  });

  it('runs every step ZVT can do and records the rest UNKNOWN', async () => {
    const t = await createSimulator({ model: 'zvt', seed: 3, scale: 0.05 });
    open.push(t);
    const dir = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-job-')), 'out');
    await runJob({
      peer: t,
      dir,
      workOrderOverrides: { zvt: { password: t.authorityCode } },
      options: { protocol: 'zvt', zvt: { timers: { t3Ms: 2000, t4Ms: 3000 } } },
    });
    const cert = JSON.parse(await readFile(join(dir, 'certificate.json'), 'utf8')) as {
      overall: { result: string };
      steps: { step: string; target?: string; result: string }[];
    };
    const results = Object.fromEntries(
      cert.steps.map((s) => [`${s.step}${s.target ? ` ${s.target}` : ''}`, s.result]),
    );
    for (const step of ['identify', 'authorize', 'settle', 'unbind', 'finalize'])
      expect(results[step]).toBe('PASS');
    for (const ch of ['contact', 'magstripe', 'nfc', 'qr'])
      expect(results[`disable-acceptance ${ch}`]).toBe('UNKNOWN');
    expect(results['network-down']).toBe('UNKNOWN');
    expect(results['key-zeroization']).toBe('UNKNOWN');
    for (const f of [
      'merchant-journal',
      'customer-journal',
      'reconciliation',
      'event-log',
      'configuration',
    ]) {
      expect(results[`backup ${f}`]).toBe('PASS');
      expect(results[`erase ${f}`]).toBe('PASS');
      expect(results[`erase-verification ${f}`]).toBe('PASS');
    }
    expect(cert.overall.result).not.toBe('PASS');
  }, 60_000);
});

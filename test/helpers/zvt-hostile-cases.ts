import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ZvtTuning } from '../../agent/workflow/open-driver.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../../protocol/zvt/terminal/index.js';
import { runJob, testPki, type JobRun } from './job-harness.js';
import { ZvtHostileProxy, type ZvtRule } from './zvt-hostile-proxy.js';

/**
 * The hostile ZVT corpus's contract, checked for every case (as test/helpers/hostile-cases.ts
 * does for our line protocol):
 *
 *   the job ends (no hang) with the expected exit code and one clear line saying why;
 *   the hostile behaviour happened; nothing was deleted after it; no certificate says PASS.
 */
export interface ZvtHostileCase {
  title: string;
  rule: () => ZvtRule;
  exit: number;
  error: RegExp;
  sim?: Partial<SimZvtOptions>;
  zvt?: ZvtTuning;
  reconnectWaitMs?: number;
  check?: (run: JobRun, proxy: ZvtHostileProxy) => void | Promise<void>;
}

/**
 * Short sequence timers: a silent or stuck terminal fails a case in seconds, not minutes. Not
 * shorter: the cases run concurrently on a shared machine, and a T4 of 1.5 s expired under load
 * before a terminal that was merely slow had answered. T2 is the spec's 5 s: the proxy ACKs at
 * once, no case waits for a missing ACK, and a short T2 only lets load repeat a frame.
 */
export const HOSTILE_ZVT: ZvtTuning = {
  timers: { t3Ms: 3000, t4Ms: 5000, pleaseWaitMs: 50, maxApdus: 3000 },
  serial: { t1Ms: 200, t2Ms: 5000 },
};

/**
 * Small files (the event log ~25 KiB), so a whole job takes a second or two when nothing goes
 * wrong. The terminal waits the spec's 5 s for an ACK: on a loaded machine a shorter wait makes
 * it repeat a block the proxy has already passed on, which the agent rightly refuses as a block
 * out of order, and the case would test the machine's load instead of its hostile rule.
 */
const SIM: Partial<SimZvtOptions> = {
  fileScale: 0.02,
  serial: { t1Ms: 200, t2Ms: 5000 },
  ecrReplyTimeoutMs: 5000,
};

let root: string | undefined;

export function zvtHostileCases(cases: ZvtHostileCase[]): void {
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    await (await testPki()).dispose();
  });
  for (const c of cases)
    // No wall-clock budget inside the test (as test/helpers/hostile-cases.ts): the cases run
    // concurrently on a shared machine; a job that never ends is caught by the test timeout.
    it.concurrent(c.title, async () => runZvtHostileCase(c), 60_000);
}

export async function runZvtHostileCase(c: ZvtHostileCase): Promise<JobRun> {
  root ??= await mkdtemp(join(tmpdir(), 'posdecom-zvt-hostile-'));
  const dir = join(await mkdtemp(join(root, 'case-')), 'out');
  const sim = await SimulatedZvtTerminal.create({ seed: 7, ...SIM, ...c.sim });
  const proxy = new ZvtHostileProxy(sim, c.rule());
  const who = sim.workOrderFor();
  try {
    const run = await runJob({
      peer: proxy,
      dir,
      terminal: { serial: who.serial, model: who.deviceName, authorityCode: 'unused' },
      workOrderOverrides: { zvt: { password: who.password } },
      options: {
        protocol: 'zvt',
        zvt: { ...HOSTILE_ZVT, ...c.zvt },
        record: join(dir, 'transcript.jsonl'),
        reconnectWaitMs: c.reconnectWaitMs ?? 300,
      },
    });
    const context = `${c.title}\nproxy: ${proxy.log.slice(0, 5).join('; ')}\noutput:\n${run.output}${run.errors}`;
    expect(proxy.deletedAtAnomaly, `the hostile behaviour never happened\n${context}`).toBeDefined();
    expect(run.exitCode, context).toBe(c.exit);
    // A job that ran to its certificate has no stop reason: its first FAILed step's note says why
    // (ZVT's UNKNOWN steps, which every ZVT job has, are not the anomaly).
    const failed = run.summary.steps.find((s) => s.result === 'FAIL' && s.note);
    const reason = run.summary.stopReason ?? failed?.note ?? '';
    expect(reason, context).toMatch(c.error);
    expect(reason.includes('\n') || /\bat .+:\d+:\d+/.test(reason), `not one clear line: ${reason}`).toBe(
      false,
    );
    expect(reason.length).toBeLessThan(400);
    expect(run.output + run.errors, 'the technician is told why').toContain(reason);
    expect(proxy.deleted(), `a file deleted after the anomaly\n${context}`).toEqual(proxy.deletedAtAnomaly);
    expect(run.summary.overall).not.toBe('PASS');
    const certificate = join(dir, 'certificate.json');
    if (existsSync(certificate)) {
      const cert = JSON.parse(await readFile(certificate, 'utf8')) as { overall: { result: string } };
      expect(cert.overall.result).not.toBe('PASS');
    }
    await c.check?.(run, proxy);
    return run;
  } finally {
    await sim.close();
  }
}

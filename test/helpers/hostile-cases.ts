import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { SessionOptions } from '../../protocol/line/session/session.js';
import { SimulatedTerminal, type SimOptions } from '../../protocol/line/terminal/index.js';
import { HostileProxy, type Rule } from './hostile-proxy.js';
import { runJob, testPki, type JobRun } from './job-harness.js';

/**
 * The hostile corpus's contract, checked for every case:
 *
 *   the job ends (within its budget) with the expected exit code and one clear line saying why;
 *   nothing is written outside DIR; nothing is erased after the anomaly; no certificate says PASS.
 *
 * A case names the rules its proxy applies between the agent and a real simulated terminal.
 */
export interface HostileCase {
  /** The test's title: a sentence saying what the terminal does and what the agent must do. */
  title: string;
  rules: (dir: string) => Rule[];
  exit: number;
  /** The stop reason the technician reads. */
  error: RegExp;
  sim?: Partial<SimOptions>;
  session?: Partial<SessionOptions>;
  reconnectWaitMs?: number;
  /** Anything else this case must prove. */
  check?: (run: JobRun, proxy: HostileProxy) => void | Promise<void>;
}

/**
 * For cases that fail at the job's first IDENTIFY: only HELLO (which keeps its own timeout) has
 * to succeed before the anomaly, so a short request timeout cannot make the case flaky, and the
 * agent's retry budget (up to 13 attempts on a noisy line) is spent quickly.
 */
export const FAILS_AT_FIRST_REQUEST: Partial<SessionOptions> = { requestTimeoutMs: 150 };

/** Small stores and a fast eraser keep each job well under a second when nothing goes wrong. */
const SIM: Partial<SimOptions> = { storeScale: 0.125, eraseBytesPerSecond: 64 * 1024 * 1024 };

/** Far beyond every timeout the agent keeps, so only a job that never ends reaches it. */
const HANG_TIMEOUT_MS = 60_000;

let root: string | undefined;

/** Declares one concurrent test per case, sharing the file's PKI and temp root. */
export function hostileCases(cases: HostileCase[]): void {
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    await (await testPki()).dispose();
  });
  for (const c of cases) {
    // No wall-clock budget inside the test: the cases run concurrently on a shared machine, so
    // elapsed time measures the load, not the agent. A hang is still caught by the test timeout.
    it.concurrent(c.title, async () => runHostileCase(c), HANG_TIMEOUT_MS);
  }
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await listTree(p)));
  }
  return out;
}

export async function runHostileCase(c: HostileCase): Promise<JobRun> {
  root ??= await mkdtemp(join(tmpdir(), 'posdecom-hostile-'));
  // DIR sits three levels down, so "../../.." from DIR/backup would still land in `parent`.
  const parent = await mkdtemp(join(root, 'case-'));
  const dir = join(parent, 'a', 'b', 'out');
  const sim = await SimulatedTerminal.create({ model: 'countertop', seed: 7, ...SIM, ...c.sim });
  const proxy = new HostileProxy(sim, c.rules(dir));
  try {
    const run = await runJob({
      peer: proxy,
      dir,
      options: {
        record: join(dir, 'transcript.jsonl'),
        reconnectWaitMs: c.reconnectWaitMs ?? 300,
        ...(c.session ? { session: c.session } : {}),
      },
    });
    const context = `${c.title}\nrules did: ${proxy.log.slice(0, 5).join('; ')}\noutput:\n${run.output}${run.errors}`;
    expect(proxy.eraseCountsAtAnomaly, `the hostile behaviour never happened\n${context}`).toBeDefined();
    expect(run.exitCode, context).toBe(c.exit);
    // A job that ran to its certificate has no stop reason: its first failed step's note says why.
    const reason =
      run.summary.stopReason ?? run.summary.steps.find((s) => s.result !== 'PASS' && s.note)?.note ?? '';
    expect(reason, context).toMatch(c.error);
    expect(reason.includes('\n') || /\bat .+:\d+:\d+/.test(reason), `not one clear line: ${reason}`).toBe(
      false,
    );
    expect(reason.length).toBeLessThan(400);
    expect(run.output + run.errors, 'the technician is told why').toContain(reason);

    const escaped = (await listTree(parent)).filter(
      (p) => p !== join(parent, 'a') && p !== join(parent, 'a', 'b'),
    );
    const outside = escaped.filter((p) => p !== dir && !p.startsWith(dir + sep));
    expect(
      outside.map((p) => relative(parent, p)),
      'files outside DIR',
    ).toEqual([]);

    expect(proxy.eraseCounts(), `an erase after the anomaly\n${context}`).toEqual(proxy.eraseCountsAtAnomaly);
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

/**
 * `npm run bench [-- --json] [-- --only name,...]`: the agent's performance against its targets
 * (issue 7), on a simulated terminal paced like a 115200 baud line. A human table on stdout;
 * with --json, one JSON object on the last line. Targets not met are printed as such and make
 * the exit code 1; nothing here is tuned to flatter a figure (BENCHMARKS.md: method).
 *
 *   run.ts -> child.js (one paced backup per process)         goodput, journal, latency
 *          -> posdecom decommission --port x1 / x8            parallel speedup
 *          -> sim-server.js (TCP) + posdecom backup + probe   peak RSS
 *          -> posdecom demo, posdecom --help                  wall time, cold start
 *          -> estate-child.js x cores, posdecom report        10,000 certificates: time, peak RSS
 *
 * measures.ts holds one function per figure, report.ts prints the table and the JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchPki } from './fleet.js';
import { MEASURES } from './measures.js';
import type { Metric } from './metric.js';
import { machine, writeReport } from './report.js';

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : Object.keys(MEASURES);
  const unknown = only.filter((n) => !(n in MEASURES));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown metric ${unknown.join(', ')} (${Object.keys(MEASURES).join(', ')})\n`,
    );
    return 2;
  }
  const started = performance.now();
  const host = machine();
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  log(
    `${String(host.cpu)}, ${String(host.cores)} cores, node ${String(host.node)}, load ${String(host.loadAverage1m)}`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'posdecom-bench-'));
  const metrics: Metric[] = [];
  const errors: Record<string, string> = {};
  try {
    const pki = await benchPki(join(dir, 'pki'));
    for (const name of only) {
      const t0 = performance.now();
      log(`${name} ...`);
      try {
        const m = await MEASURES[name]!({ dir: join(dir, name), pki });
        metrics.push({ name, ...m });
        log(`${name} = ${m.value.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (err) {
        errors[name] = err instanceof Error ? err.message : String(err);
        log(`${name} failed: ${errors[name]}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const allMet = writeReport(metrics, errors, host, seconds, json);
  return allMet ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));

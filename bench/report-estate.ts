import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { EstateChildRequest } from './estate-child.js';
import { estatePki, KIND_STATUS, mixedKind } from './estate.js';
import { round, type Metric } from './metric.js';
import { lastJson, runNode } from './spawn.js';

/**
 * `report_10k_seconds`: `posdecom report` over a generated estate of 10,000 job directories
 * with real signed certificates, PASS mostly, FAIL, INCOMPLETE, tampered, truncated, foreign
 * and duplicated ones mixed in (estate.ts), writing CSV and HTML as well. The estate is made
 * first, on every core, and is not timed; the report runs as the installed CLI would, with
 * rss-probe for its peak memory (worker threads included: they share the process).
 */
const BIN = fileURLToPath(new URL('../../bin/posdecom.js', import.meta.url));
const DIST = fileURLToPath(new URL('.', import.meta.url));

export interface ReportRun {
  jobs: number;
  generateSeconds: number;
  seconds: number;
  peakRssMB: number;
  exitCode: number | null;
  counts: Record<string, number>;
  threads: number;
}

/** Both report metrics come from one run over one estate. */
let reportRun: Promise<ReportRun> | undefined;
const REPORT_JOBS = 10_000;

function tenThousand(dir: string): Promise<ReportRun> {
  reportRun ??= reportEstate(join(dir, '..', 'report'), REPORT_JOBS);
  return reportRun;
}

function details(r: ReportRun): Record<string, unknown> {
  return {
    jobs: r.jobs,
    threads: r.threads,
    seconds: round(r.seconds, 2),
    peakRssMB: round(r.peakRssMB, 1),
    exitCode: r.exitCode,
    counts: r.counts,
    generateSeconds: round(r.generateSeconds, 1),
  };
}

type Measure = (ctx: { dir: string }) => Promise<Omit<Metric, 'name'>>;

export const REPORT_MEASURES: Record<string, Measure> = {
  report_10k_seconds: async ({ dir }) => {
    const r = await tenThousand(dir);
    const c = r.counts;
    return {
      value: r.seconds,
      target: 30,
      kind: 'max',
      unit: 's',
      details: details(r),
      note: `${r.jobs} jobs (${c.PASS} PASS, ${c.INCOMPLETE} INCOMPLETE, ${c.FAIL} FAIL, ${c['NOT VERIFIABLE']} not verifiable) + CSV + HTML, ${r.threads} threads, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
    };
  },
  report_10k_peak_rss_mb: async ({ dir }) => {
    const r = await tenThousand(dir);
    return {
      value: r.peakRssMB,
      target: 300,
      kind: 'max',
      unit: 'MB',
      details: details(r),
      note: 'the same run: getrusage maxrss of the report process, its worker threads included',
    };
  },
};

export async function reportEstate(dir: string, jobs: number): Promise<ReportRun> {
  const { pki } = await estatePki(join(dir, 'pki'));
  const root = join(dir, 'estate');
  const t0 = performance.now();
  const parts = availableParallelism();
  const share = Math.ceil(jobs / parts);
  await Promise.all(
    Array.from({ length: parts }, async (_, p) => {
      const request: EstateChildRequest = {
        root,
        first: p * share,
        count: Math.max(0, Math.min(share, jobs - p * share)),
        pki,
      };
      const r = await runNode([join(DIST, 'estate-child.js'), JSON.stringify(request)]);
      const out = lastJson<{ jobs: number }>(r, 'estate generator');
      if (r.code !== 0 || out.jobs !== request.count) throw new Error(`estate generator exited ${r.code}`);
    }),
  );
  const generateSeconds = (performance.now() - t0) / 1000;

  const rssFile = join(dir, 'rss.json');
  const r = await runNode(
    [
      '--import',
      join(DIST, 'rss-probe.js'),
      BIN,
      'report',
      root,
      '--ca',
      pki.caCertPath,
      '--csv',
      join(dir, 'estate.csv'),
      '--html',
      join(dir, 'estate.html'),
      '--json',
    ],
    { POSDECOM_BENCH_RSS_FILE: rssFile },
  );
  const estate = lastJson<{ summary: { jobs: number; counts: Record<string, number> } }>(r, 'report');
  const expected = expectedCounts(jobs);
  const counts = estate.summary.counts;
  // A fast report that miscounts is no result: every generated story must land where it belongs.
  for (const [status, n] of Object.entries(expected)) {
    if (counts[status] !== n) {
      throw new Error(`report counted ${counts[status]} ${status}, the estate holds ${n}`);
    }
  }
  const { maxRssKiB } = JSON.parse(await readFile(rssFile, 'utf8')) as { maxRssKiB: number };
  return {
    jobs: estate.summary.jobs,
    generateSeconds,
    seconds: r.seconds,
    peakRssMB: (maxRssKiB * 1024) / 1e6,
    exitCode: r.code,
    counts,
    threads: availableParallelism(),
  };
}

function expectedCounts(jobs: number): Record<string, number> {
  const counts: Record<string, number> = { PASS: 0, INCOMPLETE: 0, FAIL: 0, 'NOT VERIFIABLE': 0 };
  for (let i = 0; i < jobs; i++) counts[KIND_STATUS[mixedKind(i)]]!++;
  return counts;
}

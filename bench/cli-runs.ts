import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BENCH_PASSPHRASE, prepareFleet } from './fleet.js';
import { lastJson, runNode, type Spawned } from './spawn.js';
import type { OrganisationPki } from '../wipe/pki/ca.js';

/**
 * Measurements of the installed command line, each in its own process: the figures are what
 * a technician's shell would see, start-up included.
 */
// Compiled to dist/bench/: the bin is two levels up, the helper scripts beside this file.
const BIN = fileURLToPath(new URL('../../bin/posdecom.js', import.meta.url));
const DIST = fileURLToPath(new URL('.', import.meta.url));

interface JobSummaryLike {
  exitCode: number;
  overall: string;
  durationMs: number;
}

export interface DecommissionRun {
  terminals: number;
  seconds: number;
  exitCode: number | null;
  overall: string[];
}

/** `posdecom decommission` of `count` paced simulated terminals in one agent process. */
async function decommission(
  dir: string,
  pki: OrganisationPki,
  count: number,
  firstSeed: number,
  params: string,
): Promise<DecommissionRun> {
  const seeds = Array.from({ length: count }, (_, i) => firstSeed + i);
  const fleet = await prepareFleet(dir, 'countertop', seeds, params);
  const r = await runNode(
    [
      BIN,
      'decommission',
      ...fleet.terminals.flatMap((t) => ['--port', t.port]),
      '--work-order',
      fleet.workOrderPath,
      '--out',
      join(dir, 'out'),
      '--yes',
      '--json',
      '--backup-recipient',
      pki.recipientCertPath,
      '--sign-key',
      pki.technicianKeyPath,
      '--sign-cert',
      pki.technicianCertPath,
      '--chain',
      pki.chainPath,
    ],
    { ...fleet.env, POSDECOM_KEY_PASSPHRASE: BENCH_PASSPHRASE },
  );
  const out = lastJson<JobSummaryLike | { exitCode: number; jobs: JobSummaryLike[] }>(r, 'decommission');
  const jobs = 'jobs' in out ? out.jobs : [out];
  return { terminals: count, seconds: r.seconds, exitCode: r.code, overall: jobs.map((j) => j.overall) };
}

export interface ParallelResult {
  single: DecommissionRun;
  parallel: DecommissionRun;
  /** (terminals / seconds with N at once) / (1 / seconds with one): identical terminals. */
  speedup: number;
}

/**
 * One terminal decommissioned alone, then `n` at once, all paced alike. Every terminal is the
 * same model at the same store scale, so jobs per second is proportional to bytes per second.
 */
export async function parallelSpeedup(
  dir: string,
  pki: OrganisationPki,
  n: number,
  params: string,
): Promise<ParallelResult> {
  const single = await decommission(join(dir, 'single'), pki, 1, 100, params);
  const parallel = await decommission(join(dir, 'parallel'), pki, n, 200, params);
  for (const run of [single, parallel]) {
    if (run.exitCode !== 0 || run.overall.some((o) => o !== 'PASS')) {
      throw new Error(`decommission of ${run.terminals} exited ${run.exitCode}: ${run.overall.join(', ')}`);
    }
  }
  return { single, parallel, speedup: n / parallel.seconds / (1 / single.seconds) };
}

export interface RssResult {
  storeBytes: number;
  seconds: number;
  peakRssMB: number;
}

/**
 * Peak RSS of `posdecom backup` streaming one big store, unpaced. The terminal runs in a
 * separate process behind TCP, so the high-water mark (getrusage, via rss-probe) is the
 * agent's own and no sample can miss it.
 */
export async function backupPeakRss(
  dir: string,
  pki: OrganisationPki,
  storeBytes: number,
): Promise<RssResult> {
  await mkdir(dir, { recursive: true });
  const options = { model: 'countertop', seed: 11, storeSizes: { journal: storeBytes } };
  const server = spawn(process.execPath, [join(DIST, 'sim-server.js'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      server.once('error', reject);
      server.once('exit', (code) => reject(new Error(`sim-server exited ${code}`)));
      createInterface({ input: server.stdout }).once('line', resolve);
    });
    const rssFile = join(dir, 'rss.json');
    const r: Spawned = await runNode(
      [
        '--import',
        join(DIST, 'rss-probe.js'),
        BIN,
        'backup',
        '--port',
        port,
        '--stores',
        'journal',
        '--out',
        join(dir, 'out'),
        '--backup-recipient',
        pki.recipientCertPath,
        '--json',
      ],
      { POSDECOM_BENCH_RSS_FILE: rssFile },
    );
    const summary = lastJson<{ exitCode: number; stores: { status: string }[] }>(r, 'backup');
    if (r.code !== 0 || summary.stores[0]?.status !== 'ok') {
      throw new Error(`backup exited ${r.code}: ${r.stderr.trim().slice(-600)}`);
    }
    const { maxRssKiB } = JSON.parse(await readFile(rssFile, 'utf8')) as { maxRssKiB: number };
    return { storeBytes, seconds: r.seconds, peakRssMB: (maxRssKiB * 1024) / 1e6 };
  } finally {
    server.kill('SIGTERM');
  }
}

export interface DemoResult {
  samples: number[];
  seconds: number;
}

/** `posdecom demo`, unpaced, `runs` times in fresh directories; the median wall time. */
export async function demoSeconds(dir: string, runs: number): Promise<DemoResult> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runNode([BIN, 'demo', '--out', join(dir, `demo-${i}`), '--json']);
    const out = lastJson<{ exitCode: number; certificateVerified: boolean }>(r, 'demo');
    if (r.code !== 0 || !out.certificateVerified) throw new Error(`demo exited ${r.code}`);
    samples.push(r.seconds);
  }
  return { samples, seconds: median(samples) };
}

export interface HelpResult {
  samples: number[];
  ms: number;
  /** `node -e 0` on the same machine: the floor no CLI can go under. */
  nodeBaselineMs: number;
}

/** Cold start of `posdecom --help`: a new process each time, median of `runs`. */
export async function helpMs(runs: number): Promise<HelpResult> {
  const samples: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runNode([BIN, '--help']);
    if (r.code !== 0 || !r.stdout.includes('posdecom')) throw new Error(`--help exited ${r.code}`);
    samples.push(r.seconds * 1000);
    baseline.push((await runNode(['-e', '0'])).seconds * 1000);
  }
  return { samples, ms: median(samples), nodeBaselineMs: median(baseline) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoodputResult } from './backup-goodput.js';
import type { ChildRequest } from './child.js';
import { backupPeakRss, demoSeconds, helpMs, parallelSpeedup } from './cli-runs.js';
import { round, type Metric } from './metric.js';
import { REPORT_MEASURES } from './report-estate.js';
import { lastJson, runNode } from './spawn.js';
import { verifyRate } from './verify-rate.js';
import { ZVT_BAUD, ZVT_TURNAROUND_MS, zvtReadGoodput } from './zvt-read.js';
import type { OrganisationPki } from '../wipe/pki/ca.js';

/** How each figure is measured, by name (`npm run bench -- --only name`). */

/** The line the paced measures run on: 115200 baud, a 15 ms turnaround, 10 bit-times a byte. */
export const BAUD = 115_200;
export const TURNAROUND_MS = 15;
export const LINE_RATE = BAUD / 10;
const KiB = 1024;
const MiB = 1024 * KiB;

type Measure = (ctx: { dir: string; pki: OrganisationPki }) => Promise<Omit<Metric, 'name'>>;

function goodput(
  pki: OrganisationPki,
  o: Partial<ChildRequest> & { store?: string; size: number; random: boolean },
): Promise<GoodputResult> {
  const request: ChildRequest = {
    store: 'journal',
    baud: BAUD,
    turnaroundMs: TURNAROUND_MS,
    dataBits: 8,
    parity: 'none',
    recipientCertPath: pki.recipientCertPath,
    ...o,
  };
  return runNode([fileURLToPath(new URL('./child.js', import.meta.url)), JSON.stringify(request)]).then(
    (r) => {
      const result = lastJson<GoodputResult>(r, 'goodput child');
      if (r.code !== 0) throw new Error(`goodput child exited ${r.code}`);
      return result;
    },
  );
}

function wireNote(g: GoodputResult): string {
  const util = (g.wireBytesIn / g.seconds / LINE_RATE) * 100;
  return `${Math.round(g.bytesPerSecond)} B/s, ${g.enc}/${g.z}, maxLine ${g.maxLine}, window ${g.window}, ${g.framesIn} READs, ${g.retransmits} resent, line ${util.toFixed(1)}% busy`;
}

/** Line utilisation above 1 would mean the simulator sends faster than the line it claims. */
function wireDetails(g: GoodputResult): Record<string, unknown> {
  return {
    seconds: round(g.seconds, 2),
    bytesPerSecond: Math.round(g.bytesPerSecond),
    enc: g.enc,
    z: g.z,
    maxLine: g.maxLine,
    window: g.window,
    frames: g.framesIn,
    retransmits: g.retransmits,
    lineUtilisation: round(g.wireBytesIn / g.seconds / LINE_RATE, 4),
  };
}

export const MEASURES: Record<string, Measure> = {
  goodput_ratio_7bit: async ({ pki }) => {
    // 7E1: 10 bit-times a byte like 8N1, so the agent's byte rate equals the simulator's pacing.
    const g = await goodput(pki, { size: 256 * KiB, random: true, dataBits: 7, parity: 'even' });
    return {
      value: g.ratio,
      target: 0.72,
      kind: 'min',
      unit: 'x line',
      details: wireDetails(g),
      note: wireNote(g),
    };
  },
  goodput_ratio_8bit: async ({ pki }) => {
    const g = await goodput(pki, { size: 256 * KiB, random: true });
    return {
      value: g.ratio,
      target: 0.93,
      kind: 'min',
      unit: 'x line',
      details: wireDetails(g),
      note: wireNote(g),
    };
  },
  effective_ratio_journal: async ({ pki }) => {
    const g = await goodput(pki, { size: 1 * MiB, random: false });
    return {
      value: g.ratio,
      target: 3.0,
      kind: 'min',
      unit: 'x line',
      details: wireDetails(g),
      note: wireNote(g),
    };
  },
  latency_sensitivity: async ({ pki }) => {
    const fast = await goodput(pki, { size: 256 * KiB, random: true, turnaroundMs: 1 });
    const slow = await goodput(pki, { size: 256 * KiB, random: true, turnaroundMs: 40 });
    return {
      value: slow.bytesPerSecond / fast.bytesPerSecond,
      target: 0.95,
      kind: 'min',
      unit: 'ratio',
      details: { turnaround1ms: wireDetails(fast), turnaround40ms: wireDetails(slow) },
      note: `${Math.round(fast.bytesPerSecond)} B/s at 1 ms, ${Math.round(slow.bytesPerSecond)} B/s at 40 ms`,
    };
  },
  parallel_8_speedup: async ({ dir, pki }) => {
    // Stores at a quarter of their default size keep two full jobs inside the bench's budget.
    const params = `baud=${BAUD}&turnaround=${TURNAROUND_MS}&scale=0.25`;
    const r = await parallelSpeedup(join(dir, 'parallel'), pki, 8, params);
    return {
      value: r.speedup,
      target: 7.0,
      kind: 'min',
      unit: 'x one',
      details: {
        port: `sim:countertop?seed=N&${params}`,
        oneTerminalSeconds: round(r.single.seconds, 2),
        eightTerminalsSeconds: round(r.parallel.seconds, 2),
      },
      note: `one terminal ${r.single.seconds.toFixed(1)} s, eight at once ${r.parallel.seconds.toFixed(1)} s (whole jobs, CLI start included)`,
    };
  },
  peak_rss_mb_256mib_store: async ({ dir, pki }) => {
    const r = await backupPeakRss(join(dir, 'rss'), pki, 256 * MiB);
    return {
      value: r.peakRssMB,
      target: 150,
      kind: 'max',
      unit: 'MB',
      details: { seconds: round(r.seconds, 2), storeBytes: r.storeBytes, link: 'tcp, unpaced' },
      note: `posdecom backup of a 256 MiB journal over TCP, unpaced, ${r.seconds.toFixed(1)} s; getrusage maxrss`,
    };
  },
  zvt_read_goodput_ratio: async () => {
    const g = await zvtReadGoodput();
    return {
      value: g.ratio,
      target: 0.85,
      kind: 'min',
      unit: 'x line',
      details: {
        seconds: round(g.seconds, 2),
        bytesPerSecond: round(g.bytesPerSecond, 1),
        lineRate: round(g.lineRate, 1),
        line: `${ZVT_BAUD} baud 8N2, ${ZVT_TURNAROUND_MS} ms turnaround`,
        blocks: g.blocks,
        repeats: g.repeats,
        lineUtilisation: round(g.wireBytesIn / g.seconds / g.lineRate, 4),
      },
      note: `Read File of 64 KiB in ${g.blocks} blocks, ${g.seconds.toFixed(1)} s, ${g.bytesPerSecond.toFixed(1)} B/s of ${g.lineRate.toFixed(1)}; line ${((g.wireBytesIn / g.seconds / g.lineRate) * 100).toFixed(1)}% busy`,
    };
  },
  demo_seconds: async ({ dir }) => {
    const r = await demoSeconds(join(dir, 'demo'), 3);
    return {
      value: r.seconds,
      target: 5,
      kind: 'max',
      unit: 's',
      details: { samples: r.samples.map((s) => round(s, 2)), statistic: 'median' },
      note: `median of ${r.samples.length}: ${r.samples.map((x) => x.toFixed(2)).join(', ')} s`,
    };
  },
  verify_certs_per_second: async ({ pki }) => {
    const r = await verifyRate(pki, 3000);
    return {
      value: r.perSecond,
      // posdecom report: 10,000 certificates in under 30 s. One process alone must manage that pace;
      // the report runs one per core, which leaves the other core for its own work.
      target: 334,
      kind: 'min',
      unit: 'certs/s',
      details: { count: r.count, seconds: round(r.seconds, 2), inFlight: 8, process: 'one' },
      note: `${r.count} distinct certificates, every check, one process, 8 in flight: ${r.seconds.toFixed(1)} s`,
    };
  },
  cli_help_ms: async () => {
    const r = await helpMs(9);
    return {
      value: r.ms,
      target: 300,
      kind: 'max',
      unit: 'ms',
      details: {
        samples: r.samples.map((s) => Math.round(s)),
        statistic: 'median',
        nodeBaselineMs: Math.round(r.nodeBaselineMs),
      },
      note: `median of ${r.samples.length} fresh processes; bare \`node -e 0\` ${Math.round(r.nodeBaselineMs)} ms`,
    };
  },
  ...REPORT_MEASURES,
};

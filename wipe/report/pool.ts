import { Worker } from 'node:worker_threads';
import { brokenRow, rowFrom, type EstateRow } from './row.js';
import type { Trust } from '../verify/verify.js';
import { trustFrom, verifyJobDirectory, type TrustSource } from './verify-job.js';
import type { JobRef } from './discover.js';

/**
 * Verifies many job directories across cores. Verification is CPU work (RSA, hashing, schema,
 * canonical JSON), so it runs in worker threads, one per core by default; this thread only
 * hands out batches and collects rows. Only rows cross between threads, never certificates,
 * so memory stays flat however large the estate.
 *
 *   main:    jobs --batches of 25--> worker 1..N --rows--> results[i] in discovery order
 *   worker:  verifyJobDirectory -> rowFrom   (worker.ts)
 */

export interface PoolOptions {
  /** Bytes, so it can cross to the threads; each reads it with loadTrust. */
  trust: TrustSource;
  /** Worker threads; 0 verifies in this thread (tests running from source, tiny estates). */
  threads: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BatchRequest {
  batch: number;
  jobs: JobRef[];
}

export interface BatchResult {
  batch: number;
  rows: EstateRow[];
}

const BATCH = 25;
/** Old-generation heap of a verification thread: ample for the largest certificate.json read (2 MiB). */
const WORKER_HEAP_MB = 96;
/** Batches queued per worker, so a worker never waits for the next one to arrive. */
const IN_FLIGHT = 2;

/** One job to one row; a verifier fault on one job is that job's row, not the end of the report. */
export async function checkJob(job: JobRef, trust: Trust): Promise<EstateRow> {
  try {
    return rowFrom(job, await verifyJobDirectory(job, trust));
  } catch (err) {
    return brokenRow(job, `could not be verified: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function verifyAll(jobs: JobRef[], o: PoolOptions): Promise<EstateRow[]> {
  const rows: EstateRow[] = new Array<EstateRow>(jobs.length);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    o.onProgress?.(done, jobs.length);
  };
  if (o.threads <= 0) {
    const trust = await trustFrom(o.trust);
    for (let i = 0; i < jobs.length; i++) {
      rows[i] = await checkJob(jobs[i]!, trust);
      progress(1);
    }
    return rows;
  }
  const batches: BatchRequest[] = [];
  for (let i = 0; i < jobs.length; i += BATCH) batches.push({ batch: i, jobs: jobs.slice(i, i + BATCH) });
  const threads = Math.max(1, Math.min(o.threads, batches.length));
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let outstanding = batches.length;
      if (outstanding === 0) resolve();
      const feed = (w: Worker) => {
        if (next < batches.length) w.postMessage(batches[next++]);
      };
      for (let t = 0; t < threads; t++) {
        const w = new Worker(new URL('./worker.js', import.meta.url), {
          workerData: { source: o.trust },
          // A verification needs a few MB; a bounded heap makes V8 collect instead of growing.
          resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
        });
        workers.push(w);
        w.on('message', (m: BatchResult) => {
          m.rows.forEach((row, k) => (rows[m.batch + k] = row));
          progress(m.rows.length);
          if (--outstanding === 0) resolve();
          else feed(w);
        });
        w.on('error', reject);
        w.on('exit', (code) => {
          if (outstanding > 0) reject(new Error(`a verification thread stopped (exit ${code})`));
        });
        for (let k = 0; k < IN_FLIGHT; k++) feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return rows;
}

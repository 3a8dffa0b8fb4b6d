/**
 * A verification thread of `posdecom report` (pool.ts): takes batches of job directories,
 * answers with their rows. The CA and CRL arrive as bytes and are read into a Trust once per
 * thread (the main thread has already refused a bad one), then reused for every certificate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkJob, type BatchRequest, type BatchResult } from './pool.js';
import { trustFrom, type TrustSource } from './verify-job.js';

const { source } = workerData as { source: TrustSource };
const trust = trustFrom(source);

parentPort?.on('message', (request: BatchRequest) => {
  void (async () => {
    const t = await trust;
    const rows = [];
    for (const job of request.jobs) rows.push(await checkJob(job, t));
    const result: BatchResult = { batch: request.batch, rows };
    parentPort?.postMessage(result);
  })();
});

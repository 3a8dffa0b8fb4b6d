/**
 * A verification thread of `posdecom report` (pool.ts): takes batches of job directories,
 * answers with their rows. The CA is parsed once per thread and reused for every certificate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkJob, type BatchRequest, type BatchResult } from './pool.js';
import type { Trust } from './verify-job.js';

const { trust } = workerData as { trust: Trust };

parentPort?.on('message', (request: BatchRequest) => {
  void (async () => {
    const rows = [];
    for (const job of request.jobs) rows.push(await checkJob(job, trust));
    const result: BatchResult = { batch: request.batch, rows };
    parentPort?.postMessage(result);
  })();
});

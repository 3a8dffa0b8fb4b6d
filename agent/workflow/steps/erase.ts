import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EraseMethod } from '../../../protocol/domain.js';
import { ERASE_METHODS } from '../../../protocol/domain.js';
import { readBack, samplePlan } from '../../../wipe/erasure/read-back.js';
import { backupFileName } from '../../../wipe/backup/safe-name.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

const PASSES: Record<EraseMethod, number> = { crypto: 1, overwrite3: 3, overwrite1: 1 };
const POLL_MS = 50;

/** Default policy: the strongest method the terminal offers. */
export function chooseMethod(offered: readonly string[]): EraseMethod | undefined {
  return ERASE_METHODS.find((m) => offered.includes(m));
}

/**
 * Erase one store and verify it: completion is confirmed by ERASE_STATUS (never by ERASE's
 * acceptance), the terminal's own VERIFY_ERASE is recorded, and the agent reads the store back
 * itself. A terminal that claims an erase it did not do fails the read-back.
 */
export async function eraseOne(ctx: JobContext, storeName: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const inv = ctx.inventory();
  const index = inv.stores.findIndex((s) => s.name === storeName);
  const info = inv.stores[index]!;
  const method = chooseMethod(ctx.driver().capabilities.erase);
  if (!method) {
    const note = 'the terminal offers no erase method the agent knows';
    return {
      outcome: 'failed',
      records: [
        record(
          'erase',
          startedAt,
          'UNKNOWN',
          { offered: ctx.driver().capabilities.erase },
          { target: storeName, note },
        ),
        record(
          'erase-verification',
          startedAt,
          'UNKNOWN',
          { verification: 'none' },
          { target: storeName, note },
        ),
      ],
    };
  }
  const op = ctx.opId('erase', storeName);
  ctx.reporter.info(
    `erasing ${storeName} (${method}, ${PASSES[method]} pass${PASSES[method] > 1 ? 'es' : ''})`,
  );
  const started = await ctx.withLink(`erase ${storeName}`, (d) => d.startErase(op, storeName, method));
  let progress = started;
  const deadline = Date.now() + 120_000 + info.size / 1000;
  while (progress.state === 'running') {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    progress = await ctx.withLink(`erase status ${storeName}`, (d) => d.eraseStatus(op));
    ctx.reporter.progress(`erase ${storeName}`, progress.done, progress.total || info.size);
  }
  ctx.reporter.endProgress();
  const eraseEvidence = {
    method,
    passes: started.passes ?? PASSES[method],
    op,
    terminalState: progress.state,
    confirmedBy: 'ERASE_STATUS',
  };
  if (progress.state !== 'done') {
    const note =
      progress.state === 'running'
        ? 'the erase did not finish in time'
        : 'the terminal reports the erase failed';
    return {
      outcome: 'failed',
      records: [
        record('erase', startedAt, 'FAIL', eraseEvidence, { target: storeName, note }),
        record(
          'erase-verification',
          new Date(),
          'FAIL',
          { verification: 'none', readBack: false },
          { target: storeName, note: 'not verified: the erase did not complete' },
        ),
      ],
    };
  }

  const verifyStarted = new Date();
  const terminalVerify = await ctx.withLink(`verify ${storeName}`, (d) => d.terminalVerifyErase(storeName));
  const after = (await ctx.withLink('stores', (d) => d.listStores())).find((s) => s.name === storeName);
  const fingerprints = await readFile(join(ctx.workDir, `${backupFileName(index + 1, storeName)}.fp`)).catch(
    () => Buffer.alloc(0),
  );
  const plan = samplePlan(info.size, randomBytes(16).toString('hex'));
  const check = await readBack(
    info.size,
    plan,
    method === 'crypto' ? 'changed' : 'zeros',
    fingerprints,
    async (offset, length) => {
      const parts: Buffer[] = [];
      await ctx.readStore(storeName, offset, offset + length, async (_o, bytes) => {
        parts.push(bytes);
      });
      return Buffer.concat(parts);
    },
  );
  const verified = check.passed && terminalVerify.verified && after?.erased === true;
  const reasons: string[] = [];
  if (!check.passed)
    reasons.push(`read-back found ${check.mismatchedBlocks} of ${check.samples} sampled blocks not erased`);
  if (!terminalVerify.verified) reasons.push("the terminal's own verification failed");
  if (after?.erased !== true) reasons.push('STORES does not show the store erased');
  const verifyEvidence = {
    ...check,
    terminalVerify,
    storeAfter: after ? { erased: after.erased, records: after.records, sha256: after.sha256 } : null,
  };
  if (!verified) ctx.reporter.warn(`erase of ${storeName} NOT verified: ${reasons.join('; ')}`);
  else
    ctx.reporter.info(
      `erase of ${storeName} verified by read-back (${check.verification}, ${check.samples} blocks)`,
    );
  return {
    outcome: verified ? 'verified' : 'failed',
    records: [
      record('erase', startedAt, check.passed ? 'PASS' : 'FAIL', eraseEvidence, {
        target: storeName,
        ...(check.passed
          ? {}
          : { note: 'the terminal reported the erase done, but the data is still there' }),
      }),
      record('erase-verification', verifyStarted, verified ? 'PASS' : 'FAIL', verifyEvidence, {
        target: storeName,
        ...(verified ? {} : { note: reasons.join('; ') }),
      }),
    ],
  };
}

import type { EraseProgress } from '../../../protocol/driver.js';
import type { EraseMethod, StoreInfo } from '../../../protocol/domain.js';
import { ERASE_METHODS } from '../../../protocol/domain.js';
import type { JobContext, StepOutcome } from '../context.js';
import type { BlockFingerprints } from '../../../wipe/erasure/fingerprints.js';
import { fingerprintsForErase, type ErasePrints } from './erase-prints.js';
import { verifyErase } from './erase-verification.js';
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
 * itself (erase-verification.ts). A terminal that claims an erase it did not do fails the read-back.
 */
export async function eraseOne(ctx: JobContext, storeName: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const inv = ctx.inventory();
  const index = inv.stores.findIndex((s) => s.name === storeName);
  const info = inv.stores[index]!;
  const offered = ctx.driver().capabilities.erase;
  const method = chooseMethod(offered);
  if (!method) return noKnownMethod(ctx, storeName, startedAt);
  const before: ErasePrints = method === 'crypto' ? await fingerprintsForErase(ctx, info, index) : {};
  if (method === 'crypto' && !before.prints && !before.eraseStarted)
    return notErased(storeName, startedAt, before.problem ?? 'no fingerprints');
  const op = ctx.opId('erase', storeName);
  const { started, progress } = await eraseUntilDone(ctx, info, method, op);
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
  const v = await verifyErase(ctx, info, method, before.prints ?? NO_FINGERPRINTS);
  return {
    outcome: v.verified ? 'verified' : 'failed',
    records: [
      record('erase', startedAt, v.readBackPassed ? 'PASS' : 'FAIL', eraseEvidence, {
        target: storeName,
        ...(v.readBackPassed
          ? {}
          : { note: 'the terminal reported the erase done, but the data is still there' }),
      }),
      record('erase-verification', verifyStarted, v.verified ? 'PASS' : 'FAIL', v.evidence, {
        target: storeName,
        ...(v.verified ? {} : { note: v.reasons.join('; ') }),
      }),
    ],
  };
}

/** Starts the erase and polls ERASE_STATUS until it is no longer running, or its time is up. */
async function eraseUntilDone(
  ctx: JobContext,
  info: StoreInfo,
  method: EraseMethod,
  op: string,
): Promise<{ started: EraseProgress; progress: EraseProgress }> {
  const storeName = info.name;
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
  return { started, progress };
}

/** Without fingerprints from before the erase, read-back cannot show a crypto-erased block changed. */
const NO_FINGERPRINTS: BlockFingerprints = { blocks: 0, matches: () => undefined };

/** Nothing was sent to the terminal: the store keeps its data, and both records say why. */
function notErased(storeName: string, startedAt: Date, why: string): StepOutcome {
  const note = `not erased: ${why}`;
  return {
    outcome: 'failed',
    records: [
      record('erase', startedAt, 'FAIL', { erased: false }, { target: storeName, note }),
      record('erase-verification', startedAt, 'FAIL', { verification: 'none' }, { target: storeName, note }),
    ],
  };
}

/** The terminal offers no erase method the agent knows: nothing is erased, and both records say so. */
function noKnownMethod(ctx: JobContext, storeName: string, startedAt: Date): StepOutcome {
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

import { randomBytes } from 'node:crypto';
import type { EraseMethod, StoreInfo } from '../../../protocol/domain.js';
import type { TerminalVerifyResult } from '../../../protocol/driver.js';
import { backupFileName } from '../../../wipe/backup/safe-name.js';
import type { BlockFingerprints } from '../../../wipe/erasure/fingerprints.js';
import { readBack, samplePlan, type Expected, type ReadBackResult } from '../../../wipe/erasure/read-back.js';
import { readSketches } from '../../../wipe/erasure/sketch-file.js';
import { SketchIndex } from '../../../wipe/erasure/sketch-index.js';
import type { JobContext } from '../context.js';
import { storeSummary } from '../store-list.js';

export interface EraseVerification {
  /** All three witnesses agree the store is erased. */
  verified: boolean;
  /** The agent's own read-back found the data gone. */
  readBackPassed: boolean;
  /** What did not agree, for the technician and the certificate. */
  reasons: string[];
  evidence: Record<string, unknown>;
}

/**
 * An erase the terminal reports done is believed only when three witnesses agree: the
 * terminal's own VERIFY_ERASE, STORES showing the store erased (read again after the erase), and
 * the agent reading the store back itself (wipe/erasure/read-back.ts: sampled, each block
 * checked against the method's result and against the sketches of every block of every store
 * and the fingerprints of its own blocks taken at backup). A terminal that claims an erase it did
 * not do fails the read-back.
 */
export async function verifyErase(
  ctx: JobContext,
  info: StoreInfo,
  method: EraseMethod,
  fingerprints: BlockFingerprints,
): Promise<EraseVerification> {
  const storeName = info.name;
  const terminalVerify = await ctx.withLink(`verify ${storeName}`, (d) => d.terminalVerifyErase(storeName));
  const reading = await ctx.storeList.reread(`after the erase of ${storeName}`);
  const after = reading.stores.find((s) => s.name === storeName);
  const expected = expectedAfter(method, terminalVerify);
  const plan = samplePlan(info.size, randomBytes(16).toString('hex'));
  const label = `verify ${storeName}`;
  const check = await readBack({
    size: info.size,
    plan,
    expected,
    preErase: { sketcher: ctx.sketcher, source: storeName, index: await preEraseIndex(ctx), fingerprints },
    readBlock: async (offset, length) => {
      const parts: Buffer[] = [];
      await ctx.readStore(storeName, offset, offset + length, async (_o, bytes) => {
        parts.push(bytes);
      });
      return Buffer.concat(parts);
    },
    onProgress: (done, total) => ctx.reporter.progress(label, done, total),
  });
  ctx.reporter.endProgress();
  const verified = check.passed && terminalVerify.verified && after?.erased === true;
  const reasons: string[] = [];
  if (!check.passed) reasons.push(readBackReason(check));
  if (!terminalVerify.verified) reasons.push("the terminal's own verification failed");
  if (after?.erased !== true) reasons.push('STORES does not show the store erased');
  const evidence = {
    ...check,
    terminalVerify,
    storeAfter: after ? storeSummary(after) : null,
  };
  if (!verified) ctx.reporter.warn(`erase of ${storeName} NOT verified: ${reasons.join('; ')}`);
  else
    ctx.reporter.info(
      `erase of ${storeName} verified by read-back (${check.verification}, ${check.samples} blocks, ${check.expected})`,
    );
  return { verified, readBackPassed: check.passed, reasons, evidence };
}

/**
 * What the read-back must find: the overwrite's zeros (SPEC.md s.6.11), or after a crypto erase
 * ciphertext, unless the terminal declares it reads back as a fixed pattern.
 */
function expectedAfter(method: EraseMethod, terminal: TerminalVerifyResult): Expected {
  if (method !== 'crypto') return 'zeros';
  return terminal.pattern === 'zeros' || terminal.pattern === 'ones' ? terminal.pattern : 'random';
}

/** Every store's block sketches from its backup, so a sample is compared with all of them. */
async function preEraseIndex(ctx: JobContext): Promise<SketchIndex> {
  const index = new SketchIndex();
  const stores = ctx.inventory().stores;
  for (let i = 0; i < stores.length; i++) {
    const name = stores[i]!.name;
    const sketches = await readSketches(ctx.workDir, backupFileName(i + 1, name), ctx.sketcher);
    if (sketches) index.add(name, sketches);
  }
  return index;
}

function readBackReason(c: ReadBackResult): string {
  const why = [
    c.nearPreEraseBlocks > 0
      ? `${c.nearPreEraseBlocks} equal or nearly equal data from before the erase`
      : '',
    c.notRandomBlocks > 0 ? `${c.notRandomBlocks} do not look like ciphertext` : '',
    c.notPatternBlocks > 0 ? `${c.notPatternBlocks} are not ${c.expected}` : '',
    c.unsketchedBlocks > 0 ? `${c.unsketchedBlocks} have no sketch from the backup to compare with` : '',
  ].filter(Boolean);
  if (c.mismatchedBlocks > 0) {
    return `read-back found ${c.mismatchedBlocks} of ${c.samples} sampled blocks not erased${why.length > 0 ? ` (${why.join(', ')})` : ''}`;
  }
  if (c.randomness && !c.randomness.passed)
    return 'the read-back sample as a whole does not look like ciphertext';
  return 'the read-back read nothing';
}

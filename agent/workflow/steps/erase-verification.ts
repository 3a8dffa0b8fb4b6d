import { randomBytes } from 'node:crypto';
import type { EraseMethod, StoreInfo } from '../../../protocol/domain.js';
import type { BlockFingerprints } from '../../../wipe/erasure/fingerprints.js';
import { readBack, samplePlan } from '../../../wipe/erasure/read-back.js';
import type { JobContext } from '../context.js';

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
 * terminal's own VERIFY_ERASE, STORES showing the store erased, and the agent reading the store
 * back itself (sampled, compared with the fingerprints taken at backup). A terminal that claims
 * an erase it did not do fails the read-back.
 */
export async function verifyErase(
  ctx: JobContext,
  info: StoreInfo,
  method: EraseMethod,
  fingerprints: BlockFingerprints,
): Promise<EraseVerification> {
  const storeName = info.name;
  const terminalVerify = await ctx.withLink(`verify ${storeName}`, (d) => d.terminalVerifyErase(storeName));
  const after = (await ctx.withLink('stores', (d) => d.listStores())).find((s) => s.name === storeName);
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
  const evidence = {
    ...check,
    terminalVerify,
    storeAfter: after ? { erased: after.erased, records: after.records, sha256: after.sha256 } : null,
  };
  if (!verified) ctx.reporter.warn(`erase of ${storeName} NOT verified: ${reasons.join('; ')}`);
  else
    ctx.reporter.info(
      `erase of ${storeName} verified by read-back (${check.verification}, ${check.samples} blocks)`,
    );
  return { verified, readBackPassed: check.passed, reasons, evidence };
}

import { createHash } from 'node:crypto';
import { FingerprintAccumulator, writeFingerprints } from '../../../wipe/erasure/fingerprints.js';
import { pciFinding } from '../../../wipe/pci/report.js';
import { PciScanner } from '../../../wipe/pci/scanner.js';
import type { JobContext, StepOutcome } from '../context.js';
import { fingerprintsPathFor } from './erase-prints.js';
import { record } from './records.js';

/**
 * --card-data-backup omit: a store that may hold card data is not backed up. It is still read
 * once, as a backup would read it, keeping no byte: for the block fingerprints the erase
 * verification compares against (a crypto erase is proven by blocks that changed), for the
 * digest check against the terminal's, and for the PCI scan. The record is WARN (no backup
 * exists) with the reason, so the certificate says what was not kept and why.
 */
export async function omitBackup(ctx: JobContext, storeName: string, reason: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const inv = ctx.inventory();
  const index = inv.stores.findIndex((s) => s.name === storeName);
  const info = inv.stores[index]!;
  ctx.reporter.warn(`${info.name} is not backed up: ${reason}; it is read once for erase verification`);
  const hash = createHash('sha256');
  const prints = new FingerprintAccumulator(ctx.fingerprintKey);
  const scanner = new PciScanner();
  const reached = await ctx.readStore(info.name, 0, info.size, async (offset, bytes) => {
    hash.update(bytes);
    prints.push(bytes);
    scanner.push(offset, bytes);
    ctx.reporter.progress(`read ${info.name}`, offset + bytes.length, info.size);
  });
  ctx.reporter.endProgress();
  const receivedSha256 = hash.digest('hex');
  const fingerprints = fingerprintsPathFor(ctx, index, info.name);
  const scanned = scanner.finish();
  const finding = pciFinding(scanned);
  const evidence = {
    omitted: true,
    cardData: info.cardData,
    reason,
    policy: '--card-data-backup omit',
    bytesRead: reached,
    terminalSha256: info.sha256,
    receivedSha256,
    digestsMatch: reached === info.size && receivedSha256 === info.sha256,
    pci: { ...scanned, clauses: finding?.clauses ?? [] },
  };
  if (!evidence.digestsMatch) {
    const note = `not backed up (${reason}); the read for erase verification does not match the terminal's digest`;
    ctx.reporter.warn(`${info.name}: ${note}`);
    return {
      outcome: 'failed',
      records: [record('backup', startedAt, 'FAIL', evidence, { target: info.name, note })],
    };
  }
  await writeFingerprints(fingerprints, ctx.fingerprintKey, ctx.recipient.certPem, prints.finish());
  if (finding) ctx.reporter.warn(`PCI finding in ${info.name}: ${finding.summary}`);
  const note = `not backed up: ${reason}; it is erased without a copy${finding ? `. ${finding.summary}` : ''}`;
  return {
    outcome: 'omitted',
    records: [record('backup', startedAt, 'WARN', evidence, { target: info.name, note })],
  };
}

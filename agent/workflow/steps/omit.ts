import { createHash } from 'node:crypto';
import { FingerprintAccumulator, writeFingerprints } from '../../../wipe/erasure/fingerprints.js';
import { backupFileName } from '../../../wipe/backup/safe-name.js';
import { writeSketches } from '../../../wipe/erasure/sketch-file.js';
import { SketchAccumulator } from '../../../wipe/erasure/sketch.js';
import { pciFinding } from '../../../wipe/pci/report.js';
import { PciScanner } from '../../../wipe/pci/scanner.js';
import type { JobContext, StepOutcome } from '../context.js';
import { fingerprintsPathFor } from './erase-prints.js';
import { record } from './records.js';

/**
 * --card-data-backup omit: a store that may hold card data is not backed up. It is still read
 * once, as a backup would read it (the store list read again right before), keeping no byte:
 * for the block fingerprints and sketches the erase verification compares against (a crypto
 * erase is proven by blocks that changed, and none near an old one), for the digest check
 * against the terminal's (the erase step erases only bytes with this digest), and the PCI scan. The record is WARN (no backup
 * exists) with the reason, so the certificate says what was not kept and why.
 */
export async function omitBackup(ctx: JobContext, storeName: string, reason: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const index = ctx.inventory().stores.findIndex((s) => s.name === storeName);
  const reading = await ctx.storeList.reread(`before the read of ${storeName}`);
  const info = reading.stores.find((s) => s.name === storeName);
  if (!info || reading.discrepancies.length > 0) {
    const note = `not attempted: ${reading.discrepancies.join('; ') || `STORES no longer lists ${storeName}`}`;
    ctx.reporter.warn(`backup of ${storeName} ${note}`);
    return {
      outcome: 'failed',
      records: [record('backup', startedAt, 'FAIL', { attempted: false }, { target: storeName, note })],
    };
  }
  ctx.reporter.warn(`${info.name} is not backed up: ${reason}; it is read once for erase verification`);
  const hash = createHash('sha256');
  const prints = new FingerprintAccumulator(ctx.fingerprintKey);
  const scanner = new PciScanner();
  const sketches = new SketchAccumulator(ctx.sketcher);
  const reached = await ctx.readStore(info.name, 0, info.size, async (offset, bytes) => {
    hash.update(bytes);
    prints.push(bytes);
    sketches.push(bytes);
    scanner.push(offset, bytes);
    ctx.reporter.progress(`read ${info.name}`, offset + bytes.length, info.size);
  });
  ctx.reporter.endProgress();
  const receivedSha256 = hash.digest('hex');
  const fingerprints = fingerprintsPathFor(ctx, index, info.name);
  const scanned = scanner.finish();
  const finding = pciFinding(scanned);
  // A terminal that reports no digest (ZVT): the one read is checked for its length only.
  const digests = ctx.driver().capabilities.storeDigests;
  const evidence = {
    omitted: true,
    cardData: info.cardData,
    reason,
    policy: '--card-data-backup omit',
    bytesRead: reached,
    terminalSha256: digests ? info.sha256 : null,
    receivedSha256,
    digestsMatch: digests ? reached === info.size && receivedSha256 === info.sha256 : null,
    pci: { ...scanned, clauses: finding?.clauses ?? [] },
  };
  if (reached !== info.size || evidence.digestsMatch === false) {
    const note = `not backed up (${reason}); the read for erase verification ${digests ? "does not match the terminal's digest" : 'ended short of the announced size'}`;
    ctx.reporter.warn(`${info.name}: ${note}`);
    return {
      outcome: 'failed',
      records: [record('backup', startedAt, 'FAIL', evidence, { target: info.name, note })],
    };
  }
  await writeFingerprints(fingerprints, ctx.fingerprintKey, ctx.recipient.certPem, prints.finish());
  await writeSketches(ctx.workDir, backupFileName(index + 1, info.name), ctx.sketcher, sketches.finish());
  if (finding) ctx.reporter.warn(`PCI finding in ${info.name}: ${finding.summary}`);
  const note = `not backed up: ${reason}; it is erased without a copy${finding ? `. ${finding.summary}` : ''}`;
  return {
    outcome: 'omitted',
    records: [record('backup', startedAt, 'WARN', evidence, { target: info.name, note })],
  };
}

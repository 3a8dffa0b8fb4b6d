import type { StoreInfo } from '../../../protocol/domain.js';
import { resumeText } from '../../../wipe/backup/resume-text.js';
import { RESUME_STATE_LABEL } from '../../../wipe/backup/resume-state.js';
import { backupStore } from '../../../wipe/backup/store-backup.js';
import type { BackupSet } from '../../../wipe/backup/backup-set.js';
import { PciScanner } from '../../../wipe/pci/scanner.js';
import { pciFinding, type PciReport } from '../../../wipe/pci/report.js';
import type { StepRecord } from '../../../wipe/certificate/model.js';
import { backupFileName } from '../../../wipe/backup/safe-name.js';
import { writeSketches } from '../../../wipe/erasure/sketch-file.js';
import { SketchObserver } from '../../../wipe/erasure/sketch-observer.js';
import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Back up one store, as the terminal holds it now: the store list is read again right before
 * (a SETTLE or the terminal's own logging may have changed it since the inventory), and the
 * backup must match the digest of that reading. A verified backup already on disk (from before a
 * crash) with that digest is re-checked against the manifest (every part file hashed again) and
 * kept (its block fingerprints and sketches are made again before the erase if they are gone:
 * erase-prints.ts); a store cut short continues after its complete parts
 * (wipe/backup/store-backup.ts); anything else is read again.
 */
export async function backupOne(
  ctx: JobContext,
  set: BackupSet,
  storeName: string,
  /** The store as listed, with the digest to match when the terminal reports none (backup-twice.ts). */
  given?: StoreInfo,
): Promise<StepOutcome> {
  const startedAt = new Date();
  const index = ctx.inventory().stores.findIndex((s) => s.name === storeName);
  const reading = await ctx.storeList.reread(`before the backup of ${storeName}`);
  const listed = reading.stores.find((s) => s.name === storeName);
  // A terminal with no digests (ZVT): the digest to match is the first full read's, of this size.
  const resized = given && listed && listed.size !== given.size;
  if (!listed || reading.discrepancies.length > 0 || resized) {
    const why = resized
      ? `${storeName} is ${listed.size} bytes now, ${given.size} when it was first read`
      : reading.discrepancies.join('; ') || `STORES no longer lists ${storeName}`;
    const note = `not attempted: ${why}`;
    ctx.reporter.warn(`backup of ${storeName} ${note}`);
    return {
      // A size that changed since the first read: backup-twice.ts reads the store twice again.
      outcome: resized ? 'changed' : 'failed',
      records: [record('backup', startedAt, 'FAIL', { attempted: false }, { target: storeName, note })],
    };
  }
  const info = given ? { ...listed, sha256: given.sha256 } : listed;
  const existing = await set.verified(info.name, info.sha256);
  if (existing) {
    ctx.reporter.info(`backup of ${info.name} already verified (${existing.file})`);
    // The scan ran while this backup streamed, in the run that made it: its report stands.
    const scanned = earlierScan(ctx, info.name);
    const evidence = { ...backupEvidence(existing), manifestSha256: set.manifestSha256 };
    return { outcome: 'verified', records: [scannedRecord(ctx, startedAt, info.name, evidence, scanned)] };
  }
  return await backupFresh(ctx, set, info, index, startedAt);
}

async function backupFresh(
  ctx: JobContext,
  set: BackupSet,
  info: StoreInfo,
  index: number,
  startedAt: Date,
): Promise<StepOutcome> {
  ctx.reporter.info(
    `backing up ${info.name} (${info.size} bytes${info.cardData ? ', holds card data' : ''})`,
  );
  // Every plaintext byte streams through the PCI scan too (wipe/pci/): counts and offsets only.
  const scanner = new PciScanner();
  const sketches = new SketchObserver(ctx.sketcher);
  const result = await backupStore(info, {
    backupDir: set.dir,
    index: index + 1,
    recipient: ctx.recipient,
    ...(ctx.partBytes ? { partBytes: ctx.partBytes } : {}),
    fingerprints: { key: ctx.fingerprintKey, dir: ctx.workDir },
    observers: [...(ctx.plaintextObservers?.(info) ?? []), scanner, sketches],
    // Seals the look-back and the sketches in the checkpoint; derived again by every run, never written.
    stateKey: ctx.fingerprintKey.subkey(RESUME_STATE_LABEL),
    onResume: (event) => {
      if ('offset' in event) ctx.reporter.info(`continuing the backup of ${info.name}: ${resumeText(event)}`);
      else ctx.reporter.warn(`backing up ${info.name} from the start: ${event.restartedBecause}`);
      ctx.reporter.endProgress();
      ctx.journal.append('note', { data: { event: 'backup-resume', store: info.name, ...event } });
    },
    read: ctx.readStore,
    onProgress: (done, total) => ctx.reporter.progress(`backup ${info.name}`, done, total),
  });
  ctx.reporter.endProgress();
  const manifestSha256 = await set.record(result);
  const evidence = { ...backupEvidence(result), manifestSha256 };
  if (result.status !== 'ok') {
    ctx.reporter.warn(`backup of ${info.name} failed: ${result.error ?? 'unknown'}`);
    return {
      outcome: 'failed',
      records: [
        record('backup', startedAt, 'FAIL', evidence, { target: info.name, note: result.error ?? 'failed' }),
      ],
    };
  }
  const scanned = scanner.finish();
  const finding = pciFinding(scanned);
  if (finding) {
    ctx.reporter.warn(`PCI finding in ${info.name}: ${finding.summary}`);
    ctx.log.warn({ store: info.name, pci: scanned, clauses: finding.clauses }, 'PCI finding');
    ctx.journal.append('note', {
      data: {
        event: 'pci-finding',
        store: info.name,
        clauses: finding.clauses,
        clearPan: scanned.clearPan.count,
        trackData: scanned.trackData.count,
      },
    });
  }
  await writeSketches(ctx.workDir, backupFileName(index + 1, info.name), ctx.sketcher, sketches.finish());
  return {
    outcome: 'verified',
    records: [scannedRecord(ctx, startedAt, info.name, evidence, scanned)],
    ...(result.fingerprintsPath ? { extra: { fingerprintsPath: result.fingerprintsPath } } : {}),
  };
}

/**
 * A verified backup's record: PASS for a clean store, WARN with the PCI DSS clause when the scan
 * found clear card data (counts and offsets in `evidence.pci`, never the data).
 */
function scannedRecord(
  ctx: JobContext,
  startedAt: Date,
  store: string,
  evidence: Record<string, unknown>,
  scanned: PciReport | undefined,
): StepRecord {
  const finding = scanned && pciFinding(scanned);
  const pci = scanned ? { ...scanned, clauses: finding?.clauses ?? [] } : { scanned: false };
  if (!finding) return record('backup', startedAt, 'PASS', { ...evidence, pci }, { target: store });
  return record('backup', startedAt, 'WARN', { ...evidence, pci }, { target: store, note: finding.summary });
}

/** The PCI report journaled with this store's verified backup by an earlier run, if any. */
function earlierScan(ctx: JobContext, store: string): PciReport | undefined {
  for (const e of [...ctx.journal.entries].reverse()) {
    if (e.type !== 'result' || e.step !== 'backup' || e.target !== store) continue;
    const rec = ((e.data?.records ?? []) as StepRecord[])[0];
    const pci = rec?.evidence.pci as (PciReport & { clauses?: string[] }) | undefined;
    if (pci && typeof pci.scannedBytes === 'number') {
      const { clauses: _clauses, ...report } = pci;
      return report;
    }
  }
  return undefined;
}

function backupEvidence(s: {
  file: string;
  size: number;
  records: number;
  terminalSha256: string;
  receivedSha256: string;
  ciphertextSha256: string;
  cardData: boolean;
  parts: readonly { file: string }[];
}): Record<string, unknown> {
  return {
    file: `backup/${s.file}`,
    ...(s.parts.length > 1 ? { parts: s.parts.map((p) => `backup/${p.file}`) } : {}),
    bytes: s.size,
    records: s.records,
    terminalSha256: s.terminalSha256,
    receivedSha256: s.receivedSha256,
    ciphertextSha256: s.ciphertextSha256,
    digestsMatch: s.terminalSha256 === s.receivedSha256,
    encrypted: true,
    cardData: s.cardData,
  };
}

import type { StoreInfo } from '../../protocol/domain.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { resumeText } from '../../wipe/backup/resume-text.js';
import { backupStore } from '../../wipe/backup/store-backup.js';
import { pciFinding } from '../../wipe/pci/report.js';
import { PciScanner } from '../../wipe/pci/scanner.js';
import { readDigest } from '../../wipe/backup/read-digest.js';
import { firstReadPathFor } from '../../wipe/backup/first-read-checkpoint.js';
import { backupFileName } from '../../wipe/backup/safe-name.js';
import { digestNote, journaledDigest } from '../workflow/steps/backup-twice.js';
import type { BackupSet } from '../../wipe/backup/backup-set.js';
import type { loadRecipient } from '../../wipe/cms/encrypt.js';
import type { Journal } from '../journal.js';
import type { Reporter } from '../reporter.js';
import type { Transcript } from '../transcript/transcript.js';
import type { Connection } from '../workflow/connection.js';

/** One store's line in `posdecom backup`'s result. */
export interface StoreResult {
  store: string;
  status: string;
  error?: string;
  /** PCI DSS clauses of what the scan found in it (wipe/pci/), when it found anything. */
  pci?: string[];
}

/** The stores `--stores` names (all of them without it); a name the terminal lacks is refused. */
export function chooseStores(all: StoreInfo[], names: string[] | undefined): string[] {
  const wanted = names ?? all.map((s) => s.name);
  const unknown = wanted.filter((w) => !all.some((s) => s.name === w));
  if (unknown.length > 0) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--stores: the terminal has no store ${unknown.join(', ')} (it has ${all.map((s) => s.name).join(', ')})`,
    );
  }
  return wanted;
}

export interface BackupStoresContext {
  dir: string;
  set: BackupSet;
  recipient: Awaited<ReturnType<typeof loadRecipient>>;
  conn: Connection;
  journal: Journal;
  transcript: Transcript | undefined;
  reporter: Reporter;
  /** --backup-part-size, when given. */
  partBytes?: number | undefined;
}

/**
 * Backs up the wanted stores in the terminal's order, each journaled as intent and result so a
 * resumed backup skips what is already backed up and verified. A failed store does not stop
 * the others.
 */
export async function backupStores(
  all: StoreInfo[],
  wanted: string[],
  c: BackupStoresContext,
): Promise<StoreResult[]> {
  const r = c.reporter;
  const results: StoreResult[] = [];
  for (const [index, listed] of all.entries()) {
    if (!wanted.includes(listed.name)) continue;
    if (listed.readable === false) {
      r.warn(`${listed.name}: the terminal does not give it out (no file access); not backed up`);
      results.push({ store: listed.name, status: 'unknown', error: 'no file access' });
      continue;
    }
    const info = await withDigest(c, listed, index);
    if (await c.set.verified(info.name, info.sha256)) {
      r.info(`${info.name}: already backed up and verified`);
      results.push({ store: info.name, status: 'ok' });
      continue;
    }
    c.transcript?.setStep(`backup:${info.name}`);
    c.journal.append('intent', { step: 'backup', target: info.name });
    r.step(`backup: ${info.name} (${info.size} bytes)`);
    const scanner = new PciScanner();
    const result = await backupStore(info, {
      backupDir: c.set.dir,
      index: index + 1,
      recipient: c.recipient,
      ...(c.partBytes ? { partBytes: c.partBytes } : {}),
      onResume: (event) => {
        if ('offset' in event) r.info(`${info.name}: continuing: ${resumeText(event)}`);
        else r.warn(`${info.name}: backing up from the start: ${event.restartedBecause}`);
        c.journal.append('note', { data: { event: 'backup-resume', store: info.name, ...event } });
      },
      read: (store, from, size, sink) => c.conn.readStore(store, from, size, sink),
      // No job secret here (no work order): the scanner's look-back is read again on resume.
      observers: [scanner],
      onProgress: (done, total) => r.progress(`backup ${info.name}`, done, total),
    });
    r.endProgress();
    await c.set.record(result);
    const pci = scanner.finish();
    const finding = pciFinding(pci);
    c.journal.append('result', {
      step: 'backup',
      target: info.name,
      data: {
        outcome: result.status,
        receivedSha256: result.receivedSha256,
        terminalSha256: result.terminalSha256,
        pci: { ...pci, clauses: finding?.clauses ?? [] },
      },
    });
    if (finding) r.warn(`PCI finding in ${info.name}: ${finding.summary}`);
    if (result.status === 'ok')
      r.info(
        `${info.name}: ${result.size} bytes, digest matches ${listed.sha256 ? "the terminal's" : 'the first read'}`,
      );
    else r.warn(`${info.name}: FAILED: ${result.error ?? ''}`);
    results.push({
      store: info.name,
      status: result.status,
      ...(result.error ? { error: result.error } : {}),
      ...(finding ? { pci: finding.clauses } : {}),
    });
  }
  return results;
}

/**
 * A terminal that reports no digest (ZVT): the store is read once, hashed, and the backup (the
 * second read) must match it (workflow/steps/backup-twice.ts). The digest is journaled, so a
 * resumed backup does not read it again.
 */
async function withDigest(c: BackupStoresContext, info: StoreInfo, index: number): Promise<StoreInfo> {
  if (c.conn.driver().capabilities.storeDigests) return info;
  const known = journaledDigest(c.journal.entries, info);
  if (known) return { ...info, sha256: known };
  c.transcript?.setStep(`backup:${info.name}`);
  c.reporter.step(`first read: ${info.name} (${info.size} bytes), for its digest`);
  const sha256 = await readDigest(
    (store, from, size, sink) => c.conn.readStore(store, from, size, sink),
    info,
    {
      onProgress: (done, total) => c.reporter.progress(`read ${info.name} (1 of 2)`, done, total),
      // No job secret here: the checkpoint stops at a 64-byte boundary and is not authenticated.
      checkpoint: {
        path: firstReadPathFor(c.set.dir, backupFileName(index + 1, info.name)),
        keep: (digest) => {
          c.journal.append('note', { data: digestNote(info, digest) });
        },
        onResume: (event) => {
          if ('offset' in event)
            c.reporter.info(`${info.name}: continuing the first read at byte ${event.offset}`);
          else c.reporter.warn(`${info.name}: first read from the start: ${event.restartedBecause}`);
        },
      },
    },
  );
  c.reporter.endProgress();
  return { ...info, sha256 };
}

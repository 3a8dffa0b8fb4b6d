import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { StoreInfo } from '../../protocol/domain.js';
import type { ManifestStore } from './manifest.js';
import type { Recipient } from '../cms/encrypt.js';
import { FingerprintAccumulator, writeFingerprints, type FingerprintKey } from '../erasure/fingerprints.js';
import { removeQuietly } from './atomic-file.js';
import {
  checkpointPathFor,
  removeCheckpoint,
  sha256Files,
  writeCheckpoint,
  type Checkpoint,
} from './checkpoint.js';
import { DEFAULT_PART_BYTES, PartSequence, type BackupPart } from './parts.js';
import { ResumeMismatch, ResumeRange, openResume } from './resume-range.js';
import { backupFileName } from './safe-name.js';

/**
 * Backs up one store: terminal bytes stream through a SHA-256, the block fingerprints, the
 * plaintext observers and the CMS encryptor into parts (parts.ts); only when the digest of what
 * arrived equals the digest the terminal reported does the store count as backed up. A mismatch
 * leaves no file behind.
 *
 *   terminal READs from 0 -> sink -> sha256 + fingerprints + observers
 *                                 -> [0, resumed): re-read, checked against the kept parts
 *                                 -> [resumed, size): CMS parts -> fsync -> rename -> checkpoint
 *
 * Every run reads the store from offset 0: a run that continues a cut-short backup re-reads the
 * range of the complete parts it keeps (to rebuild the SHA-256, which node:crypto cannot save,
 * and the fingerprints, whose key died with the earlier run), and writes only what follows.
 */
export interface StoreBackupResult extends ManifestStore {
  /** Path of the block fingerprints, when they were made (decommission: for erase verification). */
  fingerprintsPath?: string;
}

/** Reads [from, size) of a store in order; may reconnect underneath and continue from the sink's offset. */
export type StoreReader = (
  store: string,
  from: number,
  size: number,
  sink: (offset: number, bytes: Buffer) => Promise<void>,
) => Promise<number>;

/**
 * Sees every plaintext byte of the store exactly once per run, in order, from offset 0 (the
 * re-read range of a resumed backup included), before it is encrypted. For scanners (PCI).
 * It must not keep or log the bytes; a throw stops the backup of the store.
 */
export type PlaintextObserver = (offset: number, bytes: Buffer) => void;

export interface BackupStoreOptions {
  backupDir: string;
  index: number;
  recipient: Recipient & { sha256Fingerprint: string };
  read: StoreReader;
  /** Bytes of plaintext per part (default 4 MiB; a multiple of 4096). */
  partBytes?: number;
  onProgress?: (received: number, size: number) => void;
  /** Block fingerprints for erase verification, keyed with this run's key, written to `dir`. */
  fingerprints?: { key: FingerprintKey; dir: string };
  observers?: PlaintextObserver[];
  /** Complete parts of an earlier run were kept (continuing at `offset`), or could not be. */
  onResume?: (
    event: { offset: number; parts: number; dropped?: string } | { restartedBecause: string },
  ) => void;
}

export async function backupStore(info: StoreInfo, o: BackupStoreOptions): Promise<StoreBackupResult> {
  const file = backupFileName(o.index, info.name);
  const checkpointPath = checkpointPathFor(o.backupDir, file);
  const resumed = await openResume(checkpointPath, info, o);
  if ('restartedBecause' in resumed) {
    await discardStore(o.backupDir, file, checkpointPath);
    o.onResume?.({ restartedBecause: resumed.restartedBecause });
  }
  const range = 'range' in resumed ? resumed.range : new ResumeRange([], 0);
  const dropped = 'dropped' in resumed ? resumed.dropped : undefined;
  if (range.offset > 0)
    o.onResume?.({ offset: range.offset, parts: range.parts.length, ...(dropped ? { dropped } : {}) });
  else if (dropped) o.onResume?.({ restartedBecause: dropped });
  const first = await attempt(info, o, range);
  if (first.status === 'ok' || range.offset === 0) return first;
  // What the earlier run left may be what differs (a power cut can tear unsynced pages): read
  // the whole store once more before calling the backup failed.
  await discardStore(o.backupDir, file, checkpointPath);
  o.onResume?.({ restartedBecause: first.error ?? 'the continued backup failed' });
  return attempt(info, o, new ResumeRange([], 0));
}

async function attempt(
  info: StoreInfo,
  o: BackupStoreOptions,
  range: ResumeRange,
): Promise<StoreBackupResult> {
  const file = backupFileName(o.index, info.name);
  const checkpointPath = checkpointPathFor(o.backupDir, file);
  await removeStrayParts(o.backupDir, file, range.parts);
  const parts: BackupPart[] = [...range.parts];
  const sequence = partSequence(info, o, range, checkpointPath, parts);
  const base = {
    name: info.name,
    file,
    kind: info.kind,
    size: info.size,
    records: info.records,
    cardData: info.cardData,
    terminalSha256: info.sha256,
    startedAt: new Date().toISOString(),
  };
  const failed = (receivedSha256: string, error: string): StoreBackupResult => ({
    ...base,
    receivedSha256,
    ciphertextSha256: '',
    parts: [],
    status: 'failed',
    error,
    finishedAt: new Date().toISOString(),
  });
  try {
    const { receivedSha256, prints } = await readThrough(info, o, range, sequence);
    if (receivedSha256 !== info.sha256) {
      await sequence.abort();
      await discardStore(o.backupDir, file, checkpointPath);
      return failed(
        receivedSha256,
        `digest mismatch: the terminal reported ${info.sha256}, the bytes received hash to ${receivedSha256}`,
      );
    }
    await sequence.finish();
    const fingerprintsPath = o.fingerprints ? join(o.fingerprints.dir, `${file}.fp`) : undefined;
    if (o.fingerprints && prints && fingerprintsPath)
      await writeFingerprints(fingerprintsPath, o.fingerprints.key, o.recipient.certPem, prints.finish());
    return {
      ...base,
      receivedSha256,
      ciphertextSha256: await setDigest(o.backupDir, parts),
      parts,
      status: 'ok',
      finishedAt: new Date().toISOString(),
      ...(fingerprintsPath ? { fingerprintsPath } : {}),
    };
  } catch (err) {
    // Cut short: the complete parts and the checkpoint stay for the next run; the torn part goes.
    await sequence.abort().catch(() => undefined);
    if (!(err instanceof ResumeMismatch)) throw err;
    return failed('', err.message);
  }
}

/** The parts still to write, checkpointed as each one completes (all but the store's last). */
function partSequence(
  info: StoreInfo,
  o: BackupStoreOptions,
  range: ResumeRange,
  checkpointPath: string,
  parts: BackupPart[],
): PartSequence {
  const partBytes = range.partBytes || o.partBytes || DEFAULT_PART_BYTES;
  const checkpoint = (): Omit<Checkpoint, 'format'> => ({
    store: info.name,
    size: info.size,
    terminalSha256: info.sha256,
    recipientSha256: o.recipient.sha256Fingerprint,
    partBytes,
    parts: parts.filter((p) => p.offset + p.length < info.size),
  });
  return new PartSequence({
    backupDir: o.backupDir,
    index: o.index,
    storeName: info.name,
    size: info.size,
    partBytes,
    recipient: o.recipient,
    firstPart: range.parts.length,
    onPart: async (part) => {
      parts.push(part);
      // The last part completes the store: the manifest, not the checkpoint, records it.
      if (part.offset + part.length < info.size) await writeCheckpoint(checkpointPath, checkpoint());
    },
  });
}

/** Reads the whole store in order through the digest, fingerprints, observers and the parts. */
async function readThrough(
  info: StoreInfo,
  o: BackupStoreOptions,
  range: ResumeRange,
  sequence: PartSequence,
): Promise<{ receivedSha256: string; prints: FingerprintAccumulator | undefined }> {
  const hash = createHash('sha256');
  const prints = o.fingerprints ? new FingerprintAccumulator(o.fingerprints.key) : undefined;
  let received = 0;
  const reached = await o.read(info.name, 0, info.size, async (offset, bytes) => {
    if (offset !== received) {
      throw new PosdecomError(ErrorCode.BackupFailed, `backup of ${info.name}: bytes arrived out of order`);
    }
    received += bytes.length;
    hash.update(bytes);
    prints?.push(bytes);
    for (const observe of o.observers ?? []) observe(offset, bytes);
    const fresh = range.consume(offset, bytes);
    if (fresh.length > 0) await sequence.write(fresh);
    o.onProgress?.(received, info.size);
  });
  if (reached !== info.size || received !== info.size) {
    throw new PosdecomError(
      ErrorCode.BackupFailed,
      `backup of ${info.name} ended at ${received} of ${info.size} bytes`,
    );
  }
  return { receivedSha256: hash.digest('hex'), prints };
}

/**
 * The store's `ciphertextSha256`: the digest of its one file, or for several parts the SHA-256
 * over the part files' bytes in order (what `cat NN-name.p*.cms | sha256sum` prints).
 */
async function setDigest(dir: string, parts: readonly BackupPart[]): Promise<string> {
  if (parts.length === 1) return parts[0]!.ciphertextSha256;
  const digest = await sha256Files(parts.map((p) => join(dir, p.file)));
  if (digest === undefined) throw new PosdecomError(ErrorCode.BackupFailed, 'a backup part vanished');
  return digest;
}

/** Part files of this store that the kept parts do not list (a part finished but never recorded). */
async function removeStrayParts(dir: string, file: string, kept: readonly BackupPart[]): Promise<void> {
  const stem = file.replace(/\.cms$/, '');
  const keep = new Set(kept.map((p) => p.file));
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const ours = name === file || (name.startsWith(`${stem}.p`) && name.endsWith('.cms'));
    if (ours && !keep.has(name)) await removeQuietly(join(dir, name));
  }
}

async function discardStore(dir: string, file: string, checkpointPath: string): Promise<void> {
  await removeStrayParts(dir, file, []);
  await removeCheckpoint(checkpointPath);
}

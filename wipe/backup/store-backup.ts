import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { StoreInfo } from '../../protocol/domain.js';
import type { ManifestStore } from './manifest.js';
import type { Recipient } from '../cms/encrypt.js';
import { writeFingerprints, type FingerprintKey } from '../erasure/fingerprints.js';
import { removeQuietly } from './atomic-file.js';
import { BackupStream, readThrough, type StoreReader, type StreamOptions } from './backup-stream.js';
import { checkpointPathFor, removeCheckpoint, sha256Files } from './checkpoint.js';
import { DEFAULT_PART_BYTES, type BackupPart } from './parts.js';
import { checkpointReceived, newPipeline, partSequence } from './part-checkpoints.js';
import { ResumeMismatch, ResumeRange, openResume } from './resume-range.js';
import type { PlaintextObserver } from './resume-state.js';
import { backupFileName } from './safe-name.js';

export type { PlaintextObserver, ResumableObserver } from './resume-state.js';
export type { StoreReader } from './backup-stream.js';

/**
 * Backs up one store: terminal bytes stream through the store's SHA-256, the block fingerprints,
 * the plaintext observers (backup-stream.ts) and the CMS encryptor into parts (parts.ts); only
 * when the digest of what arrived equals the digest the terminal reported does the store count
 * as backed up. A mismatch leaves no file behind.
 *
 *   terminal READs from readFrom -> sink -> [readFrom, hashedFrom): observers' look-back only
 *                                        -> sha256 + fingerprints + observers (split at part ends)
 *                                        -> CMS parts -> fsync -> rename -> checkpoint -> next part
 *
 * At each part end the checkpoint saves the pipeline (resume-state.ts), so a run that continues a
 * cut-short backup reads on from the end of the last complete part: nothing before it is read
 * again (but an observer's look-back when no state key sealed it). When the state cannot be taken
 * up (an older checkpoint, a part dropped, a state changed on disk) the run reads the kept range
 * again, from offset 0, checking each kept part against the terminal's bytes.
 */
export interface StoreBackupResult extends ManifestStore {
  /** Path of the block fingerprints, when they were made (decommission: for erase verification). */
  fingerprintsPath?: string;
}

/** What a resumed backup did with the earlier run's parts; see BackupStoreOptions.onResume. */
export type ResumeEvent =
  | { offset: number; parts: number; readFrom: number; rereadBecause?: string; dropped?: string }
  | { restartedBecause: string };

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
  /**
   * See every plaintext byte once per run, in order, before it is encrypted (scanners). They must
   * not keep or log the bytes; a throw stops the backup of the store. A resumed run goes on after
   * the kept parts only when every observer is a ResumableObserver; a plain function makes it
   * read the store from offset 0 again, so the function sees every byte.
   */
  observers?: PlaintextObserver[];
  /**
   * 32 bytes derived from a job secret every run holds and DIR never does (the decommission job:
   * FingerprintKey.subkey(RESUME_STATE_LABEL)). Seals the observers' look-back in checkpoints and
   * authenticates them. Without it the look-back is read again on resume.
   */
  stateKey?: Buffer;
  /** Complete parts of an earlier run were kept (this run reads from `readFrom`), or could not be. */
  onResume?: (event: ResumeEvent) => void;
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
  let stream: BackupStream | undefined;
  let rereadBecause = dropped === undefined ? 'its checkpoint holds no resume state for it' : undefined;
  if ('resumable' in resumed && resumed.resumable) {
    const taken = await BackupStream.takeUp(resumed.resumable, streamOptions(o));
    if ('why' in taken) rereadBecause = taken.why;
    else [stream, rereadBecause] = [taken, undefined];
  }
  stream ??= await BackupStream.fresh(streamOptions(o));
  if (range.offset > 0 || stream.ahead.length > 0)
    o.onResume?.({
      offset: range.offset,
      parts: range.parts.length,
      readFrom: stream.readFrom + stream.ahead.length,
      ...(rereadBecause ? { rereadBecause } : {}),
      ...(dropped ? { dropped } : {}),
    });
  else if (dropped) o.onResume?.({ restartedBecause: dropped });
  const first = await attempt(info, o, range, stream);
  if (first.status === 'ok' || range.offset === 0) return first;
  // What the earlier run left may be what differs (a power cut can tear unsynced pages, a state
  // may be wrong): read the whole store once more before calling the backup failed.
  await discardStore(o.backupDir, file, checkpointPath);
  o.onResume?.({ restartedBecause: first.error ?? 'the continued backup failed' });
  return attempt(info, o, new ResumeRange([], 0), await BackupStream.fresh(streamOptions(o)));
}

function streamOptions(o: BackupStoreOptions): StreamOptions {
  return { fingerprints: o.fingerprints, observers: o.observers ?? [], stateKey: o.stateKey };
}

async function attempt(
  info: StoreInfo,
  o: BackupStoreOptions,
  range: ResumeRange,
  stream: BackupStream,
): Promise<StoreBackupResult> {
  const file = backupFileName(o.index, info.name);
  const checkpointPath = checkpointPathFor(o.backupDir, file);
  await removeStrayParts(o.backupDir, file, range.parts);
  const partBytes = range.partBytes || o.partBytes || DEFAULT_PART_BYTES;
  const pipeline = newPipeline(range, stream, partBytes, checkpointPath);
  const { parts } = pipeline;
  const sequence = partSequence(info, o, pipeline);
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
    const receivedSha256 = await readThrough(
      info,
      o.read,
      { range, sequence, stream, partBytes, received: pipeline.received },
      o.onProgress,
    );
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
    if (o.fingerprints && stream.prints && fingerprintsPath)
      await writeFingerprints(
        fingerprintsPath,
        o.fingerprints.key,
        o.recipient.certPem,
        stream.prints.finish(),
      );
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
    if (!(err instanceof ResumeMismatch)) {
      await checkpointReceived(info, o, pipeline).catch(() => undefined);
      throw err;
    }
    return failed('', err.message);
  }
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

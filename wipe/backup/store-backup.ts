import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { StoreInfo } from '../../protocol/domain.js';
import type { ManifestStore } from './manifest.js';
import { createEncryptedFileWriter, type EncryptedFileWriter, type Recipient } from '../cms/encrypt.js';
import { openResumableWriter, removeSidecar, type ResumeKey } from '../cms/resume.js';
import { FingerprintAccumulator } from '../erasure/fingerprints.js';
import { backupFileName } from './safe-name.js';

/**
 * Backs up one store: terminal bytes stream through a SHA-256, the block fingerprints and the
 * CMS encryptor to a temporary file; only when the digest of what arrived equals the digest the
 * terminal reported is the file renamed into place. A mismatch leaves no file behind.
 *
 *   terminal READs -> sink -> sha256 + fingerprints + encrypt -> .partial -> fsync -> rename
 */
export interface StoreBackupResult extends ManifestStore {
  /** Path of the block fingerprints, kept for erase verification. */
  fingerprintsPath: string;
}

/** Reads [from, size) of a store in order; may reconnect underneath and continue from the sink's offset. */
export type StoreReader = (
  store: string,
  from: number,
  size: number,
  sink: (offset: number, bytes: Buffer) => Promise<void>,
) => Promise<number>;

export interface BackupStoreOptions {
  backupDir: string;
  workDir: string;
  index: number;
  recipient: Recipient;
  read: StoreReader;
  onProgress?: (received: number, size: number) => void;
  /**
   * The technician's key: when given, the file can be continued by a later run after this one
   * dies mid-store (cms/resume.ts), and a partial file a dead run left is continued here.
   */
  resume?: ResumeKey;
  /** A partial file was continued from `offset`, or could not be and the store started again. */
  onResume?: (event: { offset: number } | { restartedBecause: string }) => void;
}

export async function backupStore(info: StoreInfo, o: BackupStoreOptions): Promise<StoreBackupResult> {
  const startedAt = new Date().toISOString();
  const file = backupFileName(o.index, info.name);
  const fingerprintsPath = join(o.workDir, `${file}.fp`);
  const finalPath = join(o.backupDir, file);
  const hash = createHash('sha256');
  const prints = new FingerprintAccumulator();
  let received = 0;
  let writer: EncryptedFileWriter;
  if (o.resume) {
    const opened = await openResumableWriter(finalPath, o.recipient, info, o.resume, (plain) => {
      hash.update(plain);
      prints.push(plain);
    });
    writer = opened.writer;
    received = opened.offset;
    if (opened.restartedBecause !== undefined) o.onResume?.({ restartedBecause: opened.restartedBecause });
    else if (opened.offset > 0) o.onResume?.({ offset: opened.offset });
  } else {
    writer = await createEncryptedFileWriter(finalPath, o.recipient);
  }
  const from = received;
  const base = {
    name: info.name,
    file,
    kind: info.kind,
    size: info.size,
    records: info.records,
    cardData: info.cardData,
    terminalSha256: info.sha256,
    startedAt,
    fingerprintsPath,
  };
  try {
    const reached = await o.read(info.name, from, info.size, async (offset, bytes) => {
      if (offset !== received) {
        throw new PosdecomError(ErrorCode.BackupFailed, `backup of ${info.name}: bytes arrived out of order`);
      }
      received += bytes.length;
      hash.update(bytes);
      prints.push(bytes);
      await writer.write(bytes);
      o.onProgress?.(received, info.size);
    });
    if (reached !== info.size || received !== info.size) {
      throw new PosdecomError(
        ErrorCode.BackupFailed,
        `backup of ${info.name} ended at ${received} of ${info.size} bytes`,
      );
    }
    const receivedSha256 = hash.digest('hex');
    if (receivedSha256 !== info.sha256) {
      await writer.abort();
      await removeSidecar(finalPath);
      return {
        ...base,
        receivedSha256,
        ciphertextSha256: '',
        status: 'failed',
        error: `digest mismatch: the terminal reported ${info.sha256}, the bytes received hash to ${receivedSha256}`,
        finishedAt: new Date().toISOString(),
      };
    }
    await writeFile(fingerprintsPath, prints.finish(), { mode: 0o600 });
    const done = await writer.finish();
    await removeSidecar(finalPath);
    return {
      ...base,
      receivedSha256,
      ciphertextSha256: done.ciphertextSha256,
      status: 'ok',
      finishedAt: new Date().toISOString(),
    };
  } catch (err) {
    // Cut short: with a resume key the file and its sidecar stay for the next run to continue.
    await (o.resume ? writer.suspend() : writer.abort()).catch(() => undefined);
    throw err;
  }
}

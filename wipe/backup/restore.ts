/**
 * Restores a backup directory: every store the manifest lists as backed up is checked against
 * the manifest's file digests, each part decrypted in order into one file, and kept only if its
 * plaintext digest equals both the digest the terminal reported and the digest of what was
 * received at backup time.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../protocol/errors.js';
import { AtomicFile, outputError } from './atomic-file.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import type { BackupManifest, ManifestStore } from './manifest.js';
import { decryptFileInto } from '../cms/decrypt.js';
import { restoredFileName } from './safe-name.js';

export interface StoreRestore {
  name: string;
  file: string;
  /** File name inside the restore directory, when the store was restored. */
  output?: string;
  status: 'restored' | 'failed' | 'skipped';
  bytes?: number;
  sha256?: string;
  error?: string;
}

export interface RestoreOptions {
  backupDir: string;
  key: KeyObject;
  outDir: string;
  onStore?: (r: StoreRestore) => void;
}

export interface RestoreReport {
  manifest: BackupManifest;
  manifestSha256: string;
  stores: StoreRestore[];
}

/** Accepts the backup directory itself or the job directory that holds it as `backup/`. */
export async function resolveBackupDir(dir: string): Promise<string> {
  for (const candidate of [dir, join(dir, 'backup')]) {
    const s = await stat(join(candidate, MANIFEST_FILE)).catch(() => undefined);
    if (s?.isFile()) return candidate;
  }
  throw new PosdecomError(ErrorCode.UsageBadFile, `no ${MANIFEST_FILE} in ${dir} or ${join(dir, 'backup')}`);
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreReport> {
  const { manifest, sha256 } = await readManifest(o.backupDir);
  try {
    await mkdir(o.outDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw outputError(err, o.outDir);
  }
  const outputs = new Set<string>();
  const stores: StoreRestore[] = [];
  for (const store of manifest.stores) {
    const result = await restoreStore(store, o, outputs);
    stores.push(result);
    o.onStore?.(result);
  }
  return { manifest, manifestSha256: sha256, stores };
}

async function restoreStore(
  store: ManifestStore,
  o: RestoreOptions,
  outputs: Set<string>,
): Promise<StoreRestore> {
  const base = { name: store.name, file: store.file };
  if (store.status !== 'ok') {
    return {
      ...base,
      status: 'skipped',
      error: `not backed up: ${store.error ?? 'failed during the backup'}`,
    };
  }
  if (store.terminalSha256 !== store.receivedSha256) {
    return {
      ...base,
      status: 'failed',
      error: 'manifest digests disagree: the terminal and the received bytes differ',
    };
  }
  const output = restoredFileName(store.file);
  if (outputs.has(output))
    return { ...base, status: 'failed', error: `two stores would restore to ${output}` };
  outputs.add(output);
  try {
    const r = await restoreParts(store, o, join(o.outDir, output));
    return { ...base, output, status: 'restored', bytes: r.bytes, sha256: r.sha256 };
  } catch (err) {
    const error = isPosdecomError(err) ? err.message : `internal error: ${String(err).split('\n')[0]}`;
    return { ...base, status: 'failed', error };
  }
}

/**
 * Joins a store's parts into one file: each part's file digest and GCM tag and plaintext digest
 * are checked as it is decrypted, then the whole store's digest; the output gets its name only
 * when every check held, so a failure keeps nothing.
 */
async function restoreParts(
  store: ManifestStore,
  o: RestoreOptions,
  outPath: string,
): Promise<{ bytes: number; sha256: string }> {
  const output = await AtomicFile.create(outPath);
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    for (const part of store.parts) {
      const r = await decryptFileInto(
        join(o.backupDir, part.file),
        o.key,
        async (buffers) => {
          for (const b of buffers) hash.update(b);
          await output.write(buffers);
        },
        part.plaintextSha256,
        { expectedCiphertextSha256: part.ciphertextSha256 },
      );
      if (r.bytes !== part.length)
        throw mismatch(`${part.file} holds ${r.bytes} bytes, the manifest says ${part.length}`);
      bytes += r.bytes;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== store.receivedSha256)
      throw mismatch(
        `the parts of ${store.file} join to data with SHA-256 ${sha256}, expected ${store.receivedSha256}`,
      );
    await output.commit();
    return { bytes, sha256 };
  } catch (err) {
    await output.discard();
    throw err;
  }
}

function mismatch(message: string): PosdecomError {
  return new PosdecomError(ErrorCode.BackupDigestMismatch, message);
}

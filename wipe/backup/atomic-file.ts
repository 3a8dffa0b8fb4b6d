/**
 * Durable, all-or-nothing file output shared by the backup writer, the manifest and the restore.
 * A file appears under its final name only when complete: it is written under a temp name in the
 * same directory (so rename(2) is atomic), flushed with fsync, renamed, and the directory entry is
 * flushed too, so a power cut leaves either the old state or the new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../protocol/errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for this file system or limit',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'directory does not exist',
  ENOTDIR: 'a parent path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  EIO: 'I/O error',
};

/** errno code of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One line naming the path and the cause; the raw error stays in `context` for the audit log. */
export function outputError(err: unknown, path: string): PosdecomError {
  if (isPosdecomError(err)) return err;
  const code = errnoCode(err);
  const reason = code !== undefined ? `${REASONS[code] ?? 'system error'} (${code})` : firstLine(err);
  return new PosdecomError(ErrorCode.BackupOutputUnusable, `cannot write ${path}: ${reason}`, { cause: err });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}

/** A fresh hidden name next to `finalPath`; the random part keeps a crashed run's leftover from blocking. */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(6).toString('hex')}.partial`);
}

/** Creates the file exclusively (never follows or reuses an existing name) with exactly `mode`. */
export async function createExclusive(path: string, mode = 0o600): Promise<FileHandle> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.chmod(mode); // the umask may have removed bits the owner needs
  } catch (err) {
    await fh.close().catch(() => undefined);
    await removeQuietly(path);
    throw err;
  }
  return fh;
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/**
 * Makes a rename inside `dir` durable. Some platforms cannot fsync a directory; that is not an
 * error. Other failures are thrown as the raw system error (wrap with `outputError`).
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * A file being written under a temp name that takes its final name only on `commit`.
 * Every failure is a PosdecomError (BackupOutputUnusable) naming the final path.
 */
export class AtomicFile {
  private fh: FileHandle | undefined;

  private constructor(
    fh: FileHandle,
    readonly tempPath: string,
    readonly finalPath: string,
  ) {
    this.fh = fh;
  }

  /** `tempPath` defaults to a fresh random name. */
  static async create(
    finalPath: string,
    mode = 0o600,
    tempPath = tempPathFor(finalPath),
  ): Promise<AtomicFile> {
    try {
      return new AtomicFile(await createExclusive(tempPath, mode), tempPath, finalPath);
    } catch (err) {
      throw outputError(err, finalPath);
    }
  }

  /**
   * Appends all of `buffers`. A short write is continued: near a full disk or a size limit the
   * kernel first writes what fits, and only the next call reports why (ENOSPC, EFBIG).
   */
  async write(buffers: Buffer[]): Promise<void> {
    let pending = buffers.filter((b) => b.length > 0);
    try {
      while (pending.length > 0) {
        if (this.fh === undefined) throw new Error('file is already closed');
        const { bytesWritten } = await this.fh.writev(pending);
        if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        pending = dropPrefix(pending, bytesWritten);
      }
    } catch (err) {
      throw outputError(err, this.finalPath);
    }
  }

  /** fsync, close, rename over the final path, fsync the directory. */
  async commit(): Promise<void> {
    const fh = this.fh;
    try {
      if (fh === undefined) throw new Error('file is already closed');
      await fh.sync();
      this.fh = undefined;
      await fh.close();
      await rename(this.tempPath, this.finalPath);
    } catch (err) {
      await this.discard();
      throw outputError(err, this.finalPath);
    }
    await fsyncDir(dirname(this.finalPath)).catch((err: unknown) =>
      Promise.reject(outputError(err, this.finalPath)),
    );
  }

  /** Closes and removes the temp file; safe to call more than once. */
  async discard(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
    await removeQuietly(this.tempPath);
  }
}

function dropPrefix(buffers: Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
    } else {
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return rest;
}

/**
 * Writes `data` to `path` atomically with file mode `mode`. Failures are PosdecomError
 * (BackupOutputUnusable) and leave neither a temp file nor a partial `path`.
 */
export async function writeFileAtomic(path: string, data: Buffer | string, mode = 0o600): Promise<void> {
  const file = await AtomicFile.create(path, mode);
  try {
    await file.write([typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
  } catch (err) {
    await file.discard();
    throw err;
  }
  await file.commit();
}

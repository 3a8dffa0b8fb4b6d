import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

export interface AtomicWriteOptions {
  /** File mode; 0o600 for private keys. */
  mode?: number;
  /**
   * Refuse when the file exists. Used for keys: overwriting a CA key by accident would orphan
   * every certificate it issued, so `ca init` on a used directory must fail, not replace.
   */
  noClobber?: boolean;
}

/**
 * Write a file so that a crash leaves either the old file or the whole new one: write a temp
 * file in the same directory, fsync it, then rename (or hard-link, for noClobber, because link
 * fails atomically with EEXIST where rename would replace), then fsync the directory.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
) {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (options.noClobber) {
      await link(temp, path);
      await unlink(temp);
    } else {
      await rename(temp, path);
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PosdecomError(ErrorCode.UsageInvalid, `${path} already exists; refusing to overwrite it`, {
        path,
      });
    }
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems (and Windows) refuse fsync on a directory; the rename is still atomic.
  } finally {
    await fh.close();
  }
}

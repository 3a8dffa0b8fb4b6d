/**
 * A write that fails half-way through a store, for real. A full disk cannot be made without
 * mounting a small file system (root in a container often may not), but the per-process file size
 * limit (RLIMIT_FSIZE, set with util-linux prlimit, no privilege needed) makes write(2) fail
 * mid-stream the same way: Node ignores SIGXFSZ, so the write returns EFBIG instead. Only this
 * test file's own worker process is limited, and only between the two prlimit calls.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { writeFileAtomic } from '../wipe/backup/atomic-file.js';
import { createEncryptedFileWriter } from '../wipe/cms/encrypt.js';
import { makeKeys, random, removeDir } from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

let keys: TestKeys;
beforeAll(async () => {
  keys = await makeKeys();
});
afterAll(async () => removeDir(keys.dir));

/** Runs `work` with the soft file size limit at `bytes`; the hard limit is untouched. */
async function withFileSizeLimit<T>(bytes: number, work: () => Promise<T>): Promise<T> {
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:`]);
  try {
    return await work();
  } finally {
    execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited:']);
  }
}

const leftovers = async (): Promise<string[]> =>
  (await readdir(keys.dir)).filter((f) => f.endsWith('.partial'));

describe('a write that fails in the middle of a store', () => {
  it('surfaces as one clear line and leaves neither the file nor its temp', async () => {
    const finalPath = join(keys.dir, '00-journal.cms');
    const w = await createEncryptedFileWriter(finalPath, { certPem: keys.certPem });
    const err = await withFileSizeLimit(1024 * 1024, async () => {
      for (let i = 0; i < 8; i++) await w.write(random(256 * 1024));
      return w.finish();
    }).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string },
    );
    expect(err?.code).toBe(ErrorCode.BackupOutputUnusable);
    expect(err?.message).toBe(
      `cannot write ${finalPath}: file too large for this file system or limit (EFBIG)`,
    );
    expect(existsSync(finalPath)).toBe(false);
    expect(existsSync(w.tempPath)).toBe(false);
    expect(await leftovers()).toEqual([]);
    // The writer stays failed: nothing can be appended to a half-written store.
    await expect(w.write(Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.BackupOutputUnusable });
    await w.abort();
  });

  it('fails writeFileAtomic the same way', async () => {
    const p = join(keys.dir, 'manifest.json');
    await expect(withFileSizeLimit(10, () => writeFileAtomic(p, 'x'.repeat(1000)))).rejects.toMatchObject({
      code: ErrorCode.BackupOutputUnusable,
    });
    expect(existsSync(p)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses to start a backup file in a directory that cannot hold one', async () => {
    const finalPath = join(keys.certPath, '00-journal.cms'); // under a regular file
    await expect(createEncryptedFileWriter(finalPath, { certPem: keys.certPem })).rejects.toMatchObject({
      code: ErrorCode.BackupOutputUnusable,
      message: `cannot write ${finalPath}: a parent path is not a directory (ENOTDIR)`,
    });
  });
});

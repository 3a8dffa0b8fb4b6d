import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { AtomicFile, fsyncDir, outputError, writeFileAtomic } from '../wipe/backup/atomic-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'posdecom-atomic-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const oldUmask = process.umask();

describe('writeFileAtomic', () => {
  it('creates the file with mode 0600 whatever the umask, and leaves no temp file', async () => {
    process.umask(0o077 | 0o400); // a umask that would even hide the file from its owner
    try {
      await writeFileAtomic(join(dir, 'a.json'), '{"a":1}\n');
    } finally {
      process.umask(oldUmask);
    }
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('{"a":1}\n');
    expect((await stat(join(dir, 'a.json'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('replaces an existing file in one step and honours another mode', async () => {
    const p = join(dir, 'b.txt');
    await writeFile(p, 'old', { mode: 0o644 });
    await writeFileAtomic(p, Buffer.from('new'), 0o640);
    expect(await readFile(p, 'utf8')).toBe('new');
    expect((await stat(p)).mode & 0o777).toBe(0o640);
  });

  it('fsyncs a directory', async () => {
    await expect(fsyncDir(dir)).resolves.toBeUndefined();
  });
});

describe('an unusable output location is one clear line, and nothing is left behind', () => {
  // Root ignores permission bits, so these use places no permission can make writable.
  const places: Array<[string, () => Promise<string>, RegExp]> = [
    ['a directory that does not exist', async () => join(dir, 'missing', 'x.json'), /directory does not exist \(ENOENT\)/],
    ['a "directory" that is a regular file', async () => {
      await writeFile(join(dir, 'plainfile'), 'x');
      return join(dir, 'plainfile', 'x.json');
    }, /not a directory \(ENOTDIR\)/],
    ['a pseudo file system', async () => '/proc/posdecom-test/x.json', /\((ENOENT|EACCES|EROFS|EPERM)\)/],
  ]; // prettier-ignore

  for (const [what, target, reason] of places) {
    it(`names ${what}`, async () => {
      const p = await target();
      const err = await writeFileAtomic(p, 'x').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PosdecomError);
      const e = err as PosdecomError;
      expect(e.code).toBe(ErrorCode.BackupOutputUnusable);
      expect(e.message).toMatch(new RegExp(`^cannot write ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      expect(e.message).toMatch(reason);
      expect(e.message).not.toContain('\n');
      expect(existsSync(p)).toBe(false);
    });
  }

  it('words a full disk and a quota as such', () => {
    const enospc = outputError(
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      '/b/x.cms',
    );
    expect(enospc.message).toBe('cannot write /b/x.cms: disk full (ENOSPC)');
    expect(enospc.code).toBe(ErrorCode.BackupOutputUnusable);
    const quota = outputError(Object.assign(new Error('x'), { code: 'EDQUOT' }), '/b/x.cms');
    expect(quota.message).toBe('cannot write /b/x.cms: disk quota exceeded (EDQUOT)');
    expect(outputError(new Error('first\nsecond'), '/p').message).toBe('cannot write /p: first');
  });

  it('discards an AtomicFile without leaving its temp file', async () => {
    const f = await AtomicFile.create(join(dir, 'discarded.bin'));
    await f.write([Buffer.from('partial')]);
    await f.discard();
    await f.discard();
    expect(existsSync(f.tempPath)).toBe(false);
    expect(existsSync(join(dir, 'discarded.bin'))).toBe(false);
    await expect(f.write([Buffer.from('x')])).rejects.toMatchObject({ code: ErrorCode.BackupOutputUnusable });
  });
});

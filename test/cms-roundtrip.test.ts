import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { decryptFileTo } from '../wipe/cms/decrypt.js';
import { createEncryptedFileWriter } from '../wipe/cms/encrypt.js';
import { encryptTo, makeKeys, random, removeDir, TEST_PASSPHRASE } from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let keys: TestKeys;
let n = 0;
const path = (what: string): string => join(keys.dir, `${what}-${++n}`);

beforeAll(async () => {
  keys = await makeKeys();
});
afterAll(async () => removeDir(keys.dir));

describe('a backup file round-trips through our own decryptor', () => {
  for (const [size, chunk] of [
    [0, 1],
    [1, 1],
    [65_535, 65_535],
    [65_536, 4096],
    [65_537, 100_000],
    [1024 * 1024 + 3, 65_536],
  ] as const) {
    it(`restores ${size} bytes written in ${chunk}-byte chunks`, async () => {
      const data = random(size);
      const file = path('rt.cms');
      const enc = await encryptTo(file, data, keys.certPem, chunk);
      const out = path('rt.bin');
      const dec = await decryptFileTo(file, keys.encKeyPem, TEST_PASSPHRASE, out, enc.plaintextSha256, {
        expectedCiphertextSha256: enc.ciphertextSha256,
      });
      expect(dec).toEqual({ bytes: size, sha256: sha256(data), ciphertextSha256: enc.ciphertextSha256 });
      expect((await readFile(out)).equals(data)).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(out)).mode & 0o777).toBe(0o600);
    });
  }

  it('keeps order when writes are not awaited one by one', async () => {
    const parts = Array.from({ length: 20 }, (_, i) => random(3_000 + i * 5_000));
    const file = path('unawaited.cms');
    const w = await createEncryptedFileWriter(file, { certPem: keys.certPem });
    await Promise.all(parts.map((p) => w.write(p)));
    const enc = await w.finish();
    const out = path('unawaited.bin');
    await decryptFileTo(file, keys.keyPem, undefined, out, enc.plaintextSha256);
    expect((await readFile(out)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('leaves no file and no temp file after abort, and refuses writes afterwards', async () => {
    const file = path('aborted.cms');
    const w = await createEncryptedFileWriter(file, { certPem: keys.certPem });
    await w.write(random(200_000));
    expect(existsSync(w.tempPath)).toBe(true);
    expect((await stat(w.tempPath)).mode & 0o777).toBe(0o600);
    await w.abort();
    await w.abort();
    expect(existsSync(w.tempPath)).toBe(false);
    expect(existsSync(file)).toBe(false);
    await expect(w.write(Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.BackupOutputUnusable });
  });

  it('writes the ciphertext to disk before write() resolves (backpressure)', async () => {
    const w = await createEncryptedFileWriter(path('bp.cms'), { certPem: keys.certPem });
    await w.write(random(1024 * 1024));
    // Everything but the sub-chunk remainder is on disk already: nothing is buffered in memory.
    expect((await stat(w.tempPath)).size).toBeGreaterThanOrEqual(1024 * 1024 - 64 * 1024);
    await w.abort();
  });
});

describe('decryption keeps nothing it cannot vouch for', () => {
  let data: Buffer;
  let file: string;
  let good: { plaintextSha256: string; ciphertextSha256: string };
  beforeAll(async () => {
    data = random(70_000);
    file = path('ref.cms');
    good = await encryptTo(file, data, keys.certPem);
  });

  const outputsIn = async (): Promise<string[]> =>
    (await readdir(keys.dir)).filter((f) => f.includes('.partial') || f.startsWith('nothing'));

  it('refuses when the plaintext digest differs from the one expected', async () => {
    const out = path('nothing-sha');
    await expect(decryptFileTo(file, keys.keyPem, undefined, out, 'ab'.repeat(32))).rejects.toMatchObject({
      code: ErrorCode.BackupDigestMismatch,
    });
    expect(await outputsIn()).toEqual([]);
  });

  it('refuses when the file digest differs from the manifest', async () => {
    const out = path('nothing-file');
    const wrong = { expectedCiphertextSha256: 'cd'.repeat(32) };
    await expect(
      decryptFileTo(file, keys.keyPem, undefined, out, good.plaintextSha256, wrong),
    ).rejects.toThrow(/differs from the file that was backed up/);
    expect(await outputsIn()).toEqual([]);
  });

  it('names key problems without echoing the key or passphrase', async () => {
    const out = path('nothing-key');
    const attempts = [
      decryptFileTo(file, keys.encKeyPem, undefined, out, good.plaintextSha256),
      decryptFileTo(file, keys.encKeyPem, 'not the passphrase', out, good.plaintextSha256),
      decryptFileTo(file, 'not a key', undefined, out, good.plaintextSha256),
    ];
    const messages: string[] = [];
    for (const a of attempts) {
      const err = await a.then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
      expect(err?.code).toBe(ErrorCode.KeyUnusable);
      messages.push(err?.message ?? '');
    }
    expect(messages).toEqual([
      'cannot use the private key: it is encrypted and no passphrase was given',
      'cannot use the private key: wrong passphrase',
      'cannot use the private key: not a PEM private key',
    ]);
    expect(await outputsIn()).toEqual([]);
  });

  it('reports a missing input file plainly', async () => {
    await expect(
      decryptFileTo(path('absent.cms'), keys.keyPem, undefined, path('nothing-absent'), good.plaintextSha256),
    ).rejects.toThrow(/file not found/);
  });

  it('survives any single flipped byte: a clean error, or exactly the original data', async () => {
    const original = await readFile(file);
    await fc.assert(
      fc.asyncProperty(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
        const bad = Buffer.from(original);
        bad[at] = (bad[at] ?? 0) ^ mask;
        const badFile = path('flip.cms');
        await writeFile(badFile, bad);
        // Named apart from the "nothing-*" outputs the other tests require to be absent.
        const out = path('flip-out');
        try {
          await decryptFileTo(badFile, keys.keyPem, undefined, out, good.plaintextSha256);
          // Only fields outside the authenticated content may change unnoticed (the recipient id).
          expect((await readFile(out)).equals(data)).toBe(true);
          await rm(out);
        } catch (err) {
          expect(err).toMatchObject({ name: 'PosdecomError' });
          expect(existsSync(out)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('fails cleanly on every truncation and on random garbage', async () => {
    const original = await readFile(file);
    const cuts = [0, 1, 2, 10, 300, 600, original.length - 30, original.length - 7, original.length - 1];
    const garbage = [random(5_000), Buffer.from('3080', 'hex'), Buffer.from('30840fffffff', 'hex')];
    for (const bytes of [...cuts.map((c) => original.subarray(0, c)), ...garbage]) {
      const badFile = path('cut.cms');
      await writeFile(badFile, bytes);
      await expect(
        decryptFileTo(badFile, keys.keyPem, undefined, path('nothing-cut'), good.plaintextSha256),
      ).rejects.toMatchObject({ name: 'PosdecomError' });
    }
    expect(await outputsIn()).toEqual([]);
  });

  it('rejects trailing bytes after the CMS structure', async () => {
    const badFile = path('trailing.cms');
    await writeFile(badFile, Buffer.concat([await readFile(file), Buffer.from([0])]));
    await expect(
      decryptFileTo(badFile, keys.keyPem, undefined, path('nothing-trail'), good.plaintextSha256),
    ).rejects.toThrow(/data after the end/);
  });
});

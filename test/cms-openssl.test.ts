/**
 * The promise made in the README: a backup file opens with stock openssl and nothing of posdecom.
 * These tests run the README's command line against files we write, and feed files openssl writes
 * to our decryptor, so the container stays standard in both directions.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFileTo } from '../wipe/cms/decrypt.js';
import { ENCRYPTION_PARAMETERS } from '../wipe/cms/encrypt.js';
import {
  encryptTo,
  makeKeys,
  openssl,
  opensslDecrypt,
  random,
  removeDir,
  TEST_PASSPHRASE,
} from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let keys: TestKeys;
beforeAll(async () => {
  keys = await makeKeys();
});
afterAll(async () => removeDir(keys.dir));

describe('openssl cms -decrypt opens our backup files', () => {
  it('is openssl 3.x on PATH (the README line needs AuthEnvelopedData support)', () => {
    const v = openssl('version');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^OpenSSL 3\./);
  });

  for (const size of [0, 1, 65_535, 65_536, 1024 * 1024 + 3]) {
    it(`restores ${size} random bytes byte for byte with the README command`, async () => {
      const data = random(size);
      const file = join(keys.dir, `size-${size}.cms`);
      const result = await encryptTo(file, data, keys.certPem, 7_777);
      expect(result.plaintextBytes).toBe(size);
      expect(result.plaintextSha256).toBe(sha256(data));
      expect(result.ciphertextSha256).toBe(sha256(await readFile(file)));

      const out = join(keys.dir, `size-${size}.openssl.bin`);
      const r = opensslDecrypt(file, keys, out);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(sha256(await readFile(out))).toBe(sha256(data));
    });
  }

  it('also opens with an unencrypted key and the README line verbatim', async () => {
    const data = random(200_001);
    const file = join(keys.dir, 'plainkey.cms');
    await encryptTo(file, data, keys.certPem, 65_536);
    const out = join(keys.dir, 'plainkey.bin');
    expect(opensslDecrypt(file, keys, out, false).status).toBe(0);
    expect((await readFile(out)).equals(data)).toBe(true);
  });

  it('is an AuthEnvelopedData with AES-256-GCM and RSAES-OAEP SHA-256 as openssl reads it', async () => {
    const file = join(keys.dir, 'print.cms');
    await encryptTo(file, random(100), keys.certPem);
    const r = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('id-smime-ct-authEnvelopedData');
    expect(r.stdout).toContain('aes-256-gcm');
    expect(r.stdout).toContain('rsaesOaep');
    expect(r.stdout).toContain('mgf1');
    expect(r.stdout.match(/sha256/g)?.length).toBeGreaterThanOrEqual(2);
    expect(ENCRYPTION_PARAMETERS.container).toContain('AuthEnvelopedData');
  });
});

describe('tampering and wrong keys fail in openssl and in posdecom alike', () => {
  let data: Buffer;
  let file: string;
  let original: Buffer;
  beforeAll(async () => {
    data = random(150_000);
    file = join(keys.dir, 'victim.cms');
    await encryptTo(file, data, keys.certPem);
    original = await readFile(file);
  });

  /** Offsets: inside the GCM nonce, the middle of the ciphertext, a byte inside the tag. */
  const spots: Array<[string, (f: Buffer) => number]> = [
    ['the header (GCM nonce)', (f) => f.indexOf(Buffer.from('060960864801650304012e', 'hex')) + 15],
    ['the ciphertext', (f) => Math.floor(f.length / 2)],
    ['the tag', (f) => f.length - 8 - 1],
  ];

  for (const [where, offsetOf] of spots) {
    it(`rejects a byte flipped in ${where}`, async () => {
      const bad = Buffer.from(original);
      const at = offsetOf(bad);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      const badFile = join(keys.dir, `tampered-${at}.cms`);
      await writeFile(badFile, bad);

      expect(opensslDecrypt(badFile, keys, join(keys.dir, `tampered-${at}.openssl`)).status).not.toBe(0);
      const out = join(keys.dir, `tampered-${at}.ours`);
      await expect(decryptFileTo(badFile, keys.keyPem, undefined, out, sha256(data))).rejects.toMatchObject({
        name: 'PosdecomError',
      });
      expect(existsSync(out)).toBe(false);
    });
  }

  it('rejects the wrong private key', async () => {
    const strangerKeys = { ...keys, keyPath: keys.otherKeyPath };
    expect(opensslDecrypt(file, strangerKeys, join(keys.dir, 'wrong.openssl'), false).status).not.toBe(0);
    const out = join(keys.dir, 'wrong.ours');
    await expect(decryptFileTo(file, keys.otherKeyPem, undefined, out, sha256(data))).rejects.toThrow(
      /not a recipient/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('posdecom opens what openssl writes', () => {
  for (const streamed of [false, true]) {
    it(`decrypts openssl's ${streamed ? 'streamed (indefinite)' : 'definite-length'} AuthEnvelopedData`, async () => {
      const data = random(300_000);
      const plain = join(keys.dir, `ossl-${streamed}.plain`);
      const file = join(keys.dir, `ossl-${streamed}.cms`);
      await writeFile(plain, data);
      const r = openssl(
        'cms', '-encrypt', ...(streamed ? ['-stream'] : []), '-aes-256-gcm', '-binary', '-outform', 'DER',
        '-in', plain, '-out', file, '-recip', keys.certPath,
        '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256',
      ); // prettier-ignore
      expect(r.status).toBe(0);
      const out = join(keys.dir, `ossl-${streamed}.ours`);
      const res = await decryptFileTo(file, keys.encKeyPem, TEST_PASSPHRASE, out, sha256(data));
      expect(res.bytes).toBe(data.length);
      expect((await readFile(out)).equals(data)).toBe(true);
    });
  }
});

import { constants, createHash, createPrivateKey, privateDecrypt } from 'node:crypto';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFileTo } from '../wipe/cms/decrypt.js';
import { CHUNK_BYTES } from '../wipe/cms/format.js';
import { openResumableWriter, partialPathFor, sidecarPathFor } from '../wipe/cms/resume.js';
import type { ResumeKey, ResumeTarget } from '../wipe/cms/resume.js';
import { makeKeys, opensslDecrypt, random, removeDir } from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

/**
 * A backup file whose writer died part-way is continued by a new writer: the content key comes
 * back from the sidecar (wrapped to the technician's certificate), the plaintext of the complete
 * chunks from the file, and the finished file opens with our decryptor and with openssl.
 */

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const CHUNK_ON_DISK = CHUNK_BYTES + 5;
const DATA = random(5 * CHUNK_BYTES + 1234);
const TARGET: ResumeTarget = { name: 'journal', size: DATA.length, sha256: sha256(DATA) };

let keys: TestKeys;
let technician: ResumeKey;
let n = 0;
beforeAll(async () => {
  keys = await makeKeys();
  technician = { certPem: keys.otherCertPem, privateKey: () => createPrivateKey(keys.otherKeyPem) };
});
afterAll(async () => removeDir(keys.dir));

/** Writes the first `upTo` bytes, then lets the writer go as a dying process would; returns the file's path. */
async function cutShort(upTo: number): Promise<string> {
  const final = join(keys.dir, `resume-${++n}.cms`);
  const first = await openResumableWriter(final, { certPem: keys.certPem }, TARGET, technician, () => {});
  expect(first.offset).toBe(0);
  for (let off = 0; off < upTo; off += 10_000)
    await first.writer.write(DATA.subarray(off, Math.min(upTo, off + 10_000)));
  await first.writer.suspend();
  expect(existsSync(sidecarPathFor(final))).toBe(true);
  return final;
}

/** Continues the file from wherever it can, finishes it, and checks it opens both ways. */
async function continueAndCheck(final: string, expectedOffset: number): Promise<void> {
  const recovered: Buffer[] = [];
  const again = await openResumableWriter(final, { certPem: keys.certPem }, TARGET, technician, (p) =>
    recovered.push(Buffer.from(p)),
  );
  expect(again.restartedBecause).toBeUndefined();
  expect(again.offset).toBe(expectedOffset);
  expect(Buffer.concat(recovered).equals(DATA.subarray(0, expectedOffset))).toBe(true);
  for (let off = again.offset; off < DATA.length; off += 7_777)
    await again.writer.write(DATA.subarray(off, off + 7_777));
  const done = await again.writer.finish();
  expect(done.plaintextSha256).toBe(TARGET.sha256);
  expect(done.plaintextBytes).toBe(DATA.length);
  expect(done.ciphertextSha256).toBe(sha256(readFileSync(final)));
  expect(existsSync(partialPathFor(final))).toBe(false);

  const ours = await decryptFileTo(final, keys.keyPem, undefined, `${final}.plain`, TARGET.sha256, {
    expectedCiphertextSha256: done.ciphertextSha256,
  });
  expect(ours.bytes).toBe(DATA.length);
  const r = opensslDecrypt(final, keys, `${final}.openssl`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(sha256(readFileSync(`${final}.openssl`))).toBe(TARGET.sha256);
}

describe('a backup file continued after its writer died', () => {
  it.each([
    { cut: 'on a chunk boundary', upTo: 3 * CHUNK_BYTES, offset: 3 * CHUNK_BYTES },
    { cut: 'inside a chunk still in memory', upTo: 3 * CHUNK_BYTES + 100, offset: 3 * CHUNK_BYTES },
    { cut: 'before the first chunk reached the disk', upTo: 1000, offset: 0 },
    { cut: 'after every full chunk', upTo: DATA.length, offset: 5 * CHUNK_BYTES },
  ])('continues from the last complete chunk when cut $cut', async ({ upTo, offset }) => {
    await continueAndCheck(await cutShort(upTo), offset);
  });

  it.each([
    { torn: 'in the middle of a chunk', keep: 1000 },
    { torn: 'inside a chunk header', keep: 3 },
  ])('cuts a chunk torn $torn and continues before it', async ({ keep }) => {
    const final = await cutShort(4 * CHUNK_BYTES);
    const temp = partialPathFor(final);
    const headerBytes = statSync(temp).size - 4 * CHUNK_ON_DISK;
    truncateSync(temp, headerBytes + 2 * CHUNK_ON_DISK + keep);
    await continueAndCheck(final, 2 * CHUNK_BYTES);
  });

  it.each([
    { what: 'a sidecar whose key does not unwrap', why: /does not unwrap/, spoil: spoilKey },
    {
      what: 'an unreadable sidecar',
      why: /unreadable/,
      spoil: (f: string) => writeFileSync(sidecarPathFor(f), '{'),
    },
    { what: 'a file that is not the sidecar’s', why: /does not match/, spoil: spoilHeader },
  ])('starts again from zero with $what', async ({ why, spoil }) => {
    const final = await cutShort(3 * CHUNK_BYTES);
    spoil(final);
    const again = await openResumableWriter(final, { certPem: keys.certPem }, TARGET, technician, () => {
      throw new Error('nothing may be recovered');
    });
    expect(again.offset).toBe(0);
    expect(again.restartedBecause).toMatch(why);
    for (let off = 0; off < DATA.length; off += 50_000)
      await again.writer.write(DATA.subarray(off, off + 50_000));
    const done = await again.writer.finish();
    expect(done.plaintextSha256).toBe(TARGET.sha256);
    const r = opensslDecrypt(final, keys, `${final}.openssl`);
    expect(r.status).toBe(0);
  });

  it('starts again from zero when the store changed since the file was started', async () => {
    const final = await cutShort(3 * CHUNK_BYTES);
    const changed = { ...TARGET, sha256: '0'.repeat(64) };
    const again = await openResumableWriter(final, { certPem: keys.certPem }, changed, technician, () => {});
    expect(again.restartedBecause).toMatch(/store changed/);
    await again.writer.abort();
  });

  it('never writes the content key in clear', async () => {
    const final = await cutShort(2 * CHUNK_BYTES);
    const side = readFileSync(sidecarPathFor(final), 'utf8');
    expect(statSync(sidecarPathFor(final)).mode & 0o777).toBe(0o600);
    const s = JSON.parse(side) as { wrappedKey: string };
    const key = privateDecrypt(
      {
        key: createPrivateKey(keys.otherKeyPem),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      Buffer.from(s.wrappedKey, 'base64'),
    );
    for (const enc of ['hex', 'base64'] as const) expect(side).not.toContain(key.toString(enc));
  });
});

function spoilKey(final: string): void {
  const path = sidecarPathFor(final);
  const s = JSON.parse(readFileSync(path, 'utf8')) as { wrappedKey: string };
  const k = Buffer.from(s.wrappedKey, 'base64');
  k[10] = (k[10] ?? 0) ^ 1;
  writeFileSync(path, JSON.stringify({ ...s, wrappedKey: k.toString('base64') }));
}

function spoilHeader(final: string): void {
  const temp = partialPathFor(final);
  const b = readFileSync(temp);
  b[40] = (b[40] ?? 0) ^ 1;
  writeFileSync(temp, b);
}

import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import {
  DEFAULT_KDF_ITERATIONS,
  decryptPrivateKey,
  encryptPrivateKey,
  generateRsaKeyPair,
  loadPrivateKey,
  writePrivateKey,
  type KeyPair,
} from '../wipe/pki/keys.js';

const PASSPHRASE = 'pki-keys test passphrase ü';

/** openssl with the passphrase in the environment, never on the command line. */
function openssl(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.error) throw r.error; // a missing openssl fails the test, it does not skip it
  return r;
}

describe('encrypted private keys (PKCS#8, PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)', () => {
  let dir: string;
  let pair: KeyPair;
  let pem: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pki-keys-'));
    pair = await generateRsaKeyPair(2048);
    pem = await encryptPrivateKey(pair.privateKey, PASSPHRASE);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes PBES2 with PBKDF2-HMAC-SHA256 at 600,000 iterations and AES-256-CBC', () => {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const r = spawnSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der, encoding: 'utf8' });
    if (r.error) throw r.error;
    expect(r.stdout).toContain(':PBES2');
    expect(r.stdout).toContain(':PBKDF2');
    expect(r.stdout).toContain(':hmacWithSHA256');
    expect(r.stdout).toContain(':aes-256-cbc');
    const iterations = /prim: INTEGER\s+:([0-9A-F]+)/.exec(r.stdout)?.[1];
    expect(parseInt(iterations ?? '0', 16)).toBe(DEFAULT_KDF_ITERATIONS);
    expect(DEFAULT_KDF_ITERATIONS).toBeGreaterThanOrEqual(600_000);
  });

  it('loads with node:crypto createPrivateKey and the passphrase', () => {
    const key = createPrivateKey({ key: pem, passphrase: PASSPHRASE });
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(
      key
        .export({ type: 'pkcs8', format: 'der' })
        .equals(pair.privateKey.export({ type: 'pkcs8', format: 'der' })),
    ).toBe(true);
  });

  it('loads with openssl pkey -passin', async () => {
    const path = join(dir, 'k.pem');
    await writeFile(path, pem);
    const r = openssl(['pkey', '-in', path, '-passin', 'env:POSDECOM_TEST_PASS', '-pubout'], {
      POSDECOM_TEST_PASS: PASSPHRASE,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  });

  it('refuses a wrong passphrase with KeyUnusable and does not echo either passphrase', () => {
    let err: unknown;
    try {
      decryptPrivateKey(pem, 'Tr0ub4dor-guess', 'k.pem');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: ErrorCode.KeyUnusable });
    expect(String((err as Error).message)).not.toContain('Tr0ub4dor-guess');
    expect(String((err as Error).message)).not.toContain(PASSPHRASE);
  });

  it('refuses an unencrypted key', () => {
    const plain = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => decryptPrivateKey(plain, PASSPHRASE)).toThrow(/not an encrypted PKCS#8 key/);
  });

  it('writes key files with mode 0600 and never overwrites one', async () => {
    const path = join(dir, 'written.key.pem');
    await writePrivateKey(path, pair.privateKey, PASSPHRASE, 1000);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const before = await readFile(path, 'utf8');
    await expect(writePrivateKey(path, pair.privateKey, PASSPHRASE, 1000)).rejects.toMatchObject({
      code: ErrorCode.UsageInvalid,
    });
    expect(await readFile(path, 'utf8')).toBe(before);
    const key = await loadPrivateKey(path, PASSPHRASE);
    expect(key.type).toBe('private');
  });

  it('reports a missing key file as a bad input file', async () => {
    await expect(loadPrivateKey(join(dir, 'absent.pem'), PASSPHRASE)).rejects.toMatchObject({
      code: ErrorCode.UsageBadFile,
    });
  });

  it('refuses an empty passphrase', async () => {
    await expect(encryptPrivateKey(pair.privateKey, '')).rejects.toMatchObject({
      code: ErrorCode.UsageInvalid,
    });
  });
});

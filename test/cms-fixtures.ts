/**
 * Keys, certificates and helpers for the backup encryption tests. Keys are made with the openssl
 * CLI, the same tool the README tells people to restore with; a missing openssl fails the tests.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEncryptedFileWriter } from '../wipe/cms/encrypt.js';
import type { EncryptedFileResult } from '../wipe/cms/encrypt.js';

export const TEST_PASSPHRASE = 'correct horse battery staple';

export interface TestKeys {
  dir: string;
  certPath: string;
  certPem: string;
  keyPath: string;
  keyPem: string;
  /** The same key, PKCS#8-encrypted with TEST_PASSPHRASE. */
  encKeyPath: string;
  encKeyPem: string;
  /** An unrelated key pair: a key that is not the recipient. */
  otherCertPem: string;
  otherKeyPath: string;
  otherKeyPem: string;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function openssl(...args: string[]): RunResult {
  return run('openssl', args);
}

function opensslOk(...args: string[]): void {
  const r = openssl(...args);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A self-signed RSA recipient certificate with keyUsage keyEncipherment, plus extra variants by `ext`. */
export function makeCert(
  dir: string,
  name: string,
  opts: { newkey?: string[]; ext?: string } = {},
): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt.pem`);
  const key = join(dir, `${name}.key.pem`);
  opensslOk(
    'req', '-x509', '-nodes', ...(opts.newkey ?? ['-newkey', 'rsa:2048']),
    '-keyout', key, '-out', cert, '-days', '30', '-subj', `/O=posdecom tests/CN=${name}`,
    '-addext', opts.ext ?? 'keyUsage=critical,keyEncipherment',
  ); // prettier-ignore
  return { cert, key };
}

export async function makeKeys(): Promise<TestKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'posdecom-cms-'));
  const main = makeCert(dir, 'recipient');
  const other = makeCert(dir, 'stranger');
  const encKeyPath = join(dir, 'recipient.enc.key.pem');
  opensslOk('pkey', '-in', main.key, '-aes256', '-passout', `pass:${TEST_PASSPHRASE}`, '-out', encKeyPath);
  return {
    dir,
    certPath: main.cert,
    certPem: await readFile(main.cert, 'utf8'),
    keyPath: main.key,
    keyPem: await readFile(main.key, 'utf8'),
    encKeyPath,
    encKeyPem: await readFile(encKeyPath, 'utf8'),
    otherCertPem: await readFile(other.cert, 'utf8'),
    otherKeyPath: other.key,
    otherKeyPem: await readFile(other.key, 'utf8'),
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Encrypts `data` to `path`, handing it over in `chunk`-sized writes. */
export async function encryptTo(
  path: string,
  data: Buffer,
  certPem: string,
  chunk = 10_000,
): Promise<EncryptedFileResult> {
  const w = await createEncryptedFileWriter(path, { certPem });
  for (let off = 0; off < data.length; off += chunk) await w.write(data.subarray(off, off + chunk));
  return w.finish();
}

/** Deterministic-size random data. */
export const random = (n: number): Buffer => randomBytes(n);

/** The exact restore line from the README, with an encrypted key and its passphrase in the environment. */
export function opensslDecrypt(inPath: string, keys: TestKeys, outPath: string, encrypted = true): RunResult {
  const args = ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', inPath, '-recip', keys.certPath];
  const key = encrypted
    ? ['-inkey', keys.encKeyPath, '-passin', 'env:POSDECOM_TEST_PASS']
    : ['-inkey', keys.keyPath];
  return run('openssl', [...args, ...key, '-out', outPath], {
    ...process.env,
    POSDECOM_TEST_PASS: TEST_PASSPHRASE,
  });
}

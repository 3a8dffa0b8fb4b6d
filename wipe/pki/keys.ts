import {
  createCipheriv,
  createPrivateKey,
  generateKeyPair,
  pbkdf2,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { NULL, integer, octets, oid, seq } from './der.js';
import { writeFileAtomic } from './fs.js';

/**
 * Private keys at rest: PKCS#8 EncryptedPrivateKeyInfo, PBES2 with PBKDF2-HMAC-SHA256 and
 * AES-256-CBC (RFC 8018). Node's own `KeyObject.export({cipher, passphrase})` has no way to set
 * the iteration count (OpenSSL's default is 2,048), so the envelope is built here and only the
 * primitives come from node:crypto. OpenSSL (`openssl pkey -passin`) and
 * `crypto.createPrivateKey({key, passphrase})` both read the result.
 */

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256; about 0.17 s per derivation on a 2020s CPU. */
export const DEFAULT_KDF_ITERATIONS = 600_000;

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_HMAC_SHA256 = '1.2.840.113549.2.9';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';

const pbkdf2Async = promisify(pbkdf2);
const generateKeyPairAsync = promisify(generateKeyPair);

export type RsaBits = 2048 | 3072 | 4096;

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Native RSA key generation on libuv's thread pool, so several keys are made in parallel. */
export async function generateRsaKeyPair(bits: RsaBits): Promise<KeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

export async function encryptPrivateKey(
  key: KeyObject,
  passphrase: string,
  iterations: number = DEFAULT_KDF_ITERATIONS,
): Promise<string> {
  if (passphrase.length === 0)
    throw new PosdecomError(ErrorCode.UsageInvalid, 'an empty passphrase is not allowed');
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const kek = await pbkdf2Async(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', kek, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  kek.fill(0);
  const der = seq(
    seq(
      oid(OID_PBES2),
      seq(
        seq(oid(OID_PBKDF2), seq(octets(salt), integer(iterations), seq(oid(OID_HMAC_SHA256), NULL))),
        seq(oid(OID_AES256_CBC), octets(iv)),
      ),
    ),
    octets(encrypted),
  );
  return toPem('ENCRYPTED PRIVATE KEY', der);
}

/** Decrypt an encrypted PKCS#8 PEM; the message never repeats the passphrase. */
export function decryptPrivateKey(pem: string, passphrase: string, source = 'the private key'): KeyObject {
  if (!pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new PosdecomError(ErrorCode.KeyUnusable, `${source} is not an encrypted PKCS#8 key`, { source });
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new PosdecomError(
      ErrorCode.KeyUnusable,
      `cannot decrypt ${source}: wrong passphrase or damaged file`,
      {
        source,
      },
    );
  }
}

export async function loadPrivateKey(path: string, passphrase: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read ${path}: ${(err as Error).message}`, {
      path,
    });
  }
  return decryptPrivateKey(pem, passphrase, path);
}

/** Encrypt and write with mode 0600; never replaces an existing key file. */
export async function writePrivateKey(path: string, key: KeyObject, passphrase: string, iterations?: number) {
  const pem = await encryptPrivateKey(key, passphrase, iterations);
  await writeFileAtomic(path, pem, { mode: 0o600, noClobber: true });
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The recipient's private key, for restoring backups. Errors name the problem but never echo the
 * key, the passphrase, or openssl's text (which can quote input).
 */
import { constants, createPrivateKey, privateDecrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { CEK_BYTES } from './format.js';

const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/;

/** True when the PEM is passphrase-protected (PKCS#8 EncryptedPrivateKeyInfo or legacy Proc-Type). */
export function keyNeedsPassphrase(keyPem: string): boolean {
  return ENCRYPTED_PEM.test(keyPem);
}

export function readPrivateKey(keyPem: string, passphrase?: string): KeyObject {
  const encrypted = keyNeedsPassphrase(keyPem);
  if (encrypted && passphrase === undefined) throw unusable('it is encrypted and no passphrase was given');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch {
    throw unusable(encrypted ? 'wrong passphrase' : 'not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw unusable(`it is ${key.asymmetricKeyType ?? 'unknown'}, not RSA`);
  return key;
}

function unusable(why: string): PosdecomError {
  return new PosdecomError(ErrorCode.KeyUnusable, `cannot use the private key: ${why}`);
}

/**
 * Recovers the content-encryption key from the first wrapped key this private key opens.
 * OAEP decoding fails for a key it was not wrapped to, so trying each recipient is safe.
 */
export function unwrapContentKey(key: KeyObject, wrappedKeys: Buffer[]): Buffer {
  for (const wrapped of wrappedKeys) {
    try {
      const cek = privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        wrapped,
      );
      if (cek.length === CEK_BYTES) return cek;
    } catch {
      // not wrapped to this key; try the next recipient
    }
  }
  const why =
    wrappedKeys.length === 0
      ? 'the file has no RSAES-OAEP SHA-256 recipient'
      : 'this key is not a recipient of the file';
  throw new PosdecomError(ErrorCode.KeyUnusable, `cannot open the backup: ${why}`);
}

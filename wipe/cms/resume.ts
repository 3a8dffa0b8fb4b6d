/**
 * Continuing a backup file after the process that wrote it died. The GCM state dies with the
 * process, and the content key exists in the file only wrapped to the backup recipient, whose
 * private key the agent never holds. So when a file is started, a sidecar next to it keeps the
 * content key wrapped (RSAES-OAEP SHA-256) to the technician's signing certificate, whose private
 * key the agent holds whenever it runs and which is itself encrypted at rest:
 *
 *   backup/.NN-store.cms.partial   the temp file: header, then complete 64 KiB chunks (+ a torn one)
 *   backup/.NN-store.cms.resume    sidecar: nonce, wrapped key, header digest, store digest
 *
 * Recovery unwraps the key, checks the header, and runs the complete chunks back through
 * AES-256-CTR from counter block nonce || 00000002 (where GCM's keystream for the data starts,
 * SP 800-38D s.7.1 with a 96-bit IV) to get the plaintext. That plaintext is fed to a fresh GCM
 * cipher (its output is the ciphertext already on disk, discarded) to rebuild the GHASH state,
 * and to the caller's digests; the torn tail is cut and the writer appends from there.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  privateDecrypt,
  publicEncrypt,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AtomicFile, removeQuietly, writeFileAtomic } from '../backup/atomic-file.js';
import { continueEncryptedFileWriter, createEncryptedFileWriter } from './encrypt.js';
import type { EncryptedFileWriter, Recipient } from './encrypt.js';
import { CEK_BYTES, CHUNK_BYTES, NONCE_BYTES, TAG_BYTES, chunkHeader } from './format.js';

const FORMAT = 'posdecom-backup-resume/1';
const FULL_CHUNK_HEADER = chunkHeader(CHUNK_BYTES);
const FULL_CHUNK = FULL_CHUNK_HEADER.length + CHUNK_BYTES;
const MAX_SIDECAR = 16 * 1024;

/** What a store is, as the terminal reported it: a sidecar for anything else is refused. */
export interface ResumeTarget {
  name: string;
  size: number;
  sha256: string;
}

/** The technician's certificate and, only when a sidecar must be opened, its private key. */
export interface ResumeKey {
  certPem: string;
  privateKey: () => KeyObject;
}

interface Sidecar {
  format: typeof FORMAT;
  store: string;
  size: number;
  terminalSha256: string;
  certSha256: string;
  nonce: string;
  wrappedKey: string;
  headerBytes: number;
  headerSha256: string;
}

export const partialPathFor = (finalPath: string): string =>
  join(dirname(finalPath), `.${basename(finalPath)}.partial`);
export const sidecarPathFor = (finalPath: string): string =>
  join(dirname(finalPath), `.${basename(finalPath)}.resume`);

/** Why a partial file was not continued; the store then starts again from zero. */
export class ResumeRefused extends Error {
  override readonly name = 'ResumeRefused';
}

export interface ResumableWriter {
  writer: EncryptedFileWriter;
  /** Plaintext bytes already in the file (and already passed to `onPlain`). */
  offset: number;
  /** Set when a partial file existed but could not be continued. */
  restartedBecause?: string;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const certSha256 = (certPem: string): string => sha256(certPem.replace(/\r\n/g, '\n').trim());

/**
 * Continues the partial file of `finalPath` when its sidecar opens and adds up, feeding the
 * recovered plaintext to `onPlain`; otherwise removes both and starts a new file with a sidecar.
 */
export async function openResumableWriter(
  finalPath: string,
  recipient: Recipient,
  target: ResumeTarget,
  key: ResumeKey,
  onPlain: (plain: Buffer) => void,
): Promise<ResumableWriter> {
  const temp = partialPathFor(finalPath);
  const side = sidecarPathFor(finalPath);
  let restartedBecause: string | undefined;
  const exists = await stat(side).then(
    () => true,
    () => false,
  );
  if (exists) {
    try {
      return await recover(finalPath, target, key, onPlain);
    } catch (err) {
      if (!(err instanceof ResumeRefused)) throw err;
      restartedBecause = err.message;
    }
  }
  await removeQuietly(side);
  await removeQuietly(temp);
  const writer = await createEncryptedFileWriter(finalPath, recipient, {
    tempPath: temp,
    checkpoint: (secret) => writeSidecar(side, target, key.certPem, secret),
  });
  return { writer, offset: 0, ...(restartedBecause !== undefined ? { restartedBecause } : {}) };
}

async function writeSidecar(
  path: string,
  target: ResumeTarget,
  certPem: string,
  s: { cek: Buffer; nonce: Buffer; header: Buffer },
): Promise<void> {
  let wrapped: Buffer;
  try {
    wrapped = publicEncrypt(
      { key: certPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      s.cek,
    );
  } catch {
    return; // not an RSA certificate: this file cannot be continued, only started again
  }
  const sidecar: Sidecar = {
    format: FORMAT,
    store: target.name,
    size: target.size,
    terminalSha256: target.sha256,
    certSha256: certSha256(certPem),
    nonce: s.nonce.toString('hex'),
    wrappedKey: wrapped.toString('base64'),
    headerBytes: s.header.length,
    headerSha256: sha256(s.header),
  };
  await writeFileAtomic(path, `${JSON.stringify(sidecar)}\n`, 0o600);
}

async function readSidecar(path: string, target: ResumeTarget, certPem: string): Promise<Sidecar> {
  let s: Partial<Sidecar>;
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > MAX_SIDECAR) throw new Error('too large');
    s = JSON.parse(text) as Partial<Sidecar>;
  } catch {
    throw new ResumeRefused('the resume sidecar is unreadable');
  }
  const ok =
    s.format === FORMAT &&
    typeof s.nonce === 'string' &&
    /^[0-9a-f]+$/.test(s.nonce) &&
    s.nonce.length === NONCE_BYTES * 2 &&
    typeof s.wrappedKey === 'string' &&
    typeof s.headerSha256 === 'string' &&
    Number.isSafeInteger(s.headerBytes) &&
    (s.headerBytes ?? 0) > 0 &&
    (s.headerBytes ?? 0) <= MAX_SIDECAR * 4;
  if (!ok) throw new ResumeRefused('the resume sidecar is malformed');
  if (s.store !== target.name || s.size !== target.size || s.terminalSha256 !== target.sha256) {
    throw new ResumeRefused('the store changed since its backup was started');
  }
  if (s.certSha256 !== certSha256(certPem)) {
    throw new ResumeRefused('the partial backup was started with another signing certificate');
  }
  return s as Sidecar;
}

function unwrap(key: KeyObject, wrapped: string): Buffer {
  try {
    const cek = privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(wrapped, 'base64'),
    );
    if (cek.length === CEK_BYTES) return cek;
  } catch {
    // reported below, without openssl's text
  }
  throw new ResumeRefused('the content key in the resume sidecar does not unwrap');
}

async function recover(
  finalPath: string,
  target: ResumeTarget,
  key: ResumeKey,
  onPlain: (plain: Buffer) => void,
): Promise<ResumableWriter> {
  const temp = partialPathFor(finalPath);
  const s = await readSidecar(sidecarPathFor(finalPath), target, key.certPem);
  let privateKey: KeyObject;
  try {
    privateKey = key.privateKey();
  } catch {
    throw new ResumeRefused('the signing key is not available to open the resume sidecar');
  }
  const cek = unwrap(privateKey, s.wrappedKey);
  const nonce = Buffer.from(s.nonce, 'hex');
  const fh = await open(temp, 'r').catch(() => {
    throw new ResumeRefused('the partial backup file is missing');
  });
  let kept: number;
  let offset = 0;
  const gcm = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: TAG_BYTES });
  const ctr = createDecipheriv('aes-256-ctr', cek, Buffer.concat([nonce, Buffer.from([0, 0, 0, 2])]));
  cek.fill(0);
  const plainHash = createHash('sha256');
  const fileHash = createHash('sha256');
  try {
    const size = (await fh.stat()).size;
    const header = Buffer.alloc(s.headerBytes);
    const { bytesRead } = await fh.read(header, 0, header.length, 0);
    if (bytesRead !== header.length || sha256(header) !== s.headerSha256) {
      throw new ResumeRefused('the partial backup file does not match its sidecar');
    }
    fileHash.update(header);
    kept = header.length;
    // Only whole chunks count, and never the whole store: its end is read again with the tail.
    const chunks = Math.min(
      Math.floor((size - kept) / FULL_CHUNK),
      Math.floor((target.size - 1) / CHUNK_BYTES),
    );
    const buf = Buffer.alloc(FULL_CHUNK);
    for (let i = 0; i < chunks; i++) {
      const r = await fh.read(buf, 0, FULL_CHUNK, kept);
      if (r.bytesRead !== FULL_CHUNK || !buf.subarray(0, FULL_CHUNK_HEADER.length).equals(FULL_CHUNK_HEADER))
        break;
      fileHash.update(buf);
      const plain = ctr.update(buf.subarray(FULL_CHUNK_HEADER.length));
      gcm.update(plain); // equals the chunk on disk: only the GHASH state is wanted
      plainHash.update(plain);
      onPlain(plain);
      kept += FULL_CHUNK;
      offset += CHUNK_BYTES;
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
  const file = await AtomicFile.reopen(temp, finalPath, kept);
  const writer = continueEncryptedFileWriter(file, {
    cipher: gcm,
    plainHash,
    fileHash,
    plaintextBytes: offset,
  });
  return { writer, offset };
}

/** Removes the sidecar of `finalPath` (after the file is complete, or given up). */
export async function removeSidecar(finalPath: string): Promise<void> {
  await removeQuietly(sidecarPathFor(finalPath));
}

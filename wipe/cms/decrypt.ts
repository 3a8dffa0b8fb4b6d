/**
 * Streams a backup file (cms/format.ts) back to plaintext in bounded memory. The plaintext goes to
 * a 0600 temp file and gets its final name only after the GCM tag verifies and the digests match
 * what the caller expects; any failure removes the temp file, so no unverified output survives.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import type { DecipherGCM, KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../protocol/errors.js';
import { AtomicFile, errnoCode } from '../backup/atomic-file.js';
import { MalformedDer, Tag, ctxCons, ctxPrim, decodeOid } from './der.js';
import { OID, TAG_BYTES, parseGcmAlgorithm, parseRecipientInfos } from './format.js';
import { readPrivateKey, unwrapContentKey } from './key.js';
import { BerFileReader } from './reader.js';

export interface DecryptResult {
  bytes: number;
  sha256: string;
  ciphertextSha256: string;
}

export interface DecryptOptions {
  /** SHA-256 the whole .cms file must have (from the manifest), checked before anything is kept. */
  expectedCiphertextSha256?: string;
}

const MAX_SMALL = 64 * 1024; // recipient infos of a few RSA-8192 recipients fit many times over
const OUTPUT_BATCH = 1024 * 1024;

export async function decryptFileTo(
  inPath: string,
  keyPem: string | KeyObject,
  passphrase: string | undefined,
  outPath: string,
  expectedSha256: string,
  options: DecryptOptions = {},
): Promise<DecryptResult> {
  const key = typeof keyPem === 'string' ? readPrivateKey(keyPem, passphrase) : keyPem;
  const output = await AtomicFile.create(outPath);
  try {
    const result = await decryptFileInto(inPath, key, (b) => output.write(b), expectedSha256, options);
    await output.commit();
    return result;
  } catch (err) {
    await output.discard();
    throw err;
  }
}

/**
 * Decrypts `inPath` and hands the plaintext to `write`, in order, in batches. The caller must
 * keep nothing it was handed unless this resolves: the tag and digests are checked at the end.
 */
export async function decryptFileInto(
  inPath: string,
  key: KeyObject,
  write: (buffers: Buffer[]) => Promise<void>,
  expectedSha256: string,
  options: DecryptOptions = {},
): Promise<DecryptResult> {
  let input: FileHandle;
  try {
    input = await open(inPath, 'r');
  } catch (err) {
    const why =
      errnoCode(err) === 'ENOENT' ? 'file not found' : `cannot read it (${errnoCode(err) ?? 'error'})`;
    throw new PosdecomError(ErrorCode.BackupFailed, `backup file ${inPath}: ${why}`, { cause: err });
  }
  try {
    return await decryptStream(input, key, write, inPath, expectedSha256, options);
  } catch (err) {
    if (isPosdecomError(err)) throw err;
    const why = err instanceof MalformedDer ? `not a readable backup (${err.message})` : 'read failed';
    throw new PosdecomError(ErrorCode.BackupFailed, `backup file ${inPath}: ${why}`, { cause: err });
  } finally {
    await input.close().catch(() => undefined);
  }
}

/** Collects plaintext into ~1 MiB writes, keeping one in flight while the next is decrypted. */
class PlainOutput {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private inflight: Promise<void> = Promise.resolve();
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly write: (buffers: Buffer[]) => Promise<void>) {}

  async push(plain: Buffer): Promise<void> {
    this.hash.update(plain);
    this.bytes += plain.length;
    this.batch.push(plain);
    this.batchBytes += plain.length;
    if (this.batchBytes >= OUTPUT_BATCH) await this.flush();
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    await this.inflight;
    this.inflight = this.write(batch);
    this.inflight.catch(() => undefined); // rethrown where it is awaited: next flush or drain
  }

  /** Writes what is left; returns the plaintext digest. */
  async drain(): Promise<string> {
    await this.flush();
    await this.inflight;
    return this.hash.digest('hex');
  }

  /** Waits out a write still running, so the file can be closed and removed safely. */
  async settle(): Promise<void> {
    await this.inflight.catch(() => undefined);
  }
}

async function decryptStream(
  input: FileHandle,
  key: KeyObject,
  write: (buffers: Buffer[]) => Promise<void>,
  inPath: string,
  expectedSha256: string,
  options: DecryptOptions,
): Promise<DecryptResult> {
  const fileHash = createHash('sha256');
  const r = new BerFileReader(input, (await input.stat()).size, (b) => fileHash.update(b));
  const out = new PlainOutput(write);
  try {
    const decipher = await readHead(r, key);
    await readContent(r, async (piece) => out.push(decipher.update(piece)));
    const mac = await readTail(r);
    const ciphertextSha256 = fileHash.digest('hex');
    const expectedFile = options.expectedCiphertextSha256?.toLowerCase();
    if (expectedFile !== undefined && ciphertextSha256 !== expectedFile) {
      throw mismatch(`${inPath} differs from the file that was backed up (file SHA-256 ${ciphertextSha256})`);
    }
    decipher.setAuthTag(mac);
    let tail: Buffer;
    try {
      tail = decipher.final();
    } catch {
      throw mismatch(`${inPath} failed authentication: it was altered or is corrupt`);
    }
    await out.push(tail);
    const sha256 = await out.drain();
    if (sha256 !== expectedSha256.toLowerCase()) {
      throw mismatch(`${inPath} decrypts to data with SHA-256 ${sha256}, expected ${expectedSha256}`);
    }
    return { bytes: out.bytes, sha256, ciphertextSha256 };
  } catch (err) {
    await out.settle();
    throw err;
  }
}

/** ContentInfo through the content-encryption algorithm; returns the keyed decipher. */
async function readHead(r: BerFileReader, key: KeyObject): Promise<DecipherGCM> {
  const oidOf = async (what: string): Promise<string> => decodeOid(await r.small(Tag.Oid, 64, what));
  await r.enter(Tag.Sequence, 'ContentInfo');
  const contentType = await oidOf('contentType');
  if (contentType !== OID.authEnvelopedData)
    throw r.corrupt(`content type ${contentType} is not AuthEnvelopedData`);
  await r.enter(ctxCons(0), 'content');
  await r.enter(Tag.Sequence, 'AuthEnvelopedData');
  const version = await r.small(Tag.Integer, 1, 'version');
  if (version[0] !== 0) throw r.corrupt('AuthEnvelopedData version is not 0');
  if ((await r.peekByte()) === ctxCons(0)) throw r.corrupt('originatorInfo is not supported');
  const cek = unwrapContentKey(key, parseRecipientInfos(await r.small(Tag.Set, MAX_SMALL, 'recipientInfos')));
  await r.enter(Tag.Sequence, 'EncryptedContentInfo');
  if ((await oidOf('contentType')) !== OID.data) throw r.corrupt('encrypted content type is not id-data');
  const nonce = parseGcmAlgorithm(await r.small(Tag.Sequence, 256, 'contentEncryptionAlgorithm'));
  const decipher = createDecipheriv('aes-256-gcm', cek, nonce, { authTagLength: TAG_BYTES });
  cek.fill(0);
  return decipher;
}

/** encryptedContent [0] IMPLICIT OCTET STRING: primitive, or constructed from primitive chunks. */
async function readContent(r: BerFileReader, onPiece: (piece: Buffer) => Promise<void>): Promise<void> {
  const consume = async (length: number): Promise<void> => {
    for await (const piece of r.pieces(length)) await onPiece(piece);
  };
  const first = await r.peekByte();
  if (first === ctxPrim(0)) {
    await consume((await r.header()).length ?? 0);
  } else if (first === ctxCons(0)) {
    await r.enter(ctxCons(0), 'encryptedContent');
    while (await r.hasMore()) {
      const h = await r.header();
      if (h.tag !== Tag.OctetString || h.length === null)
        throw r.corrupt('encryptedContent chunk is not a primitive OCTET STRING');
      await consume(h.length);
    }
    await r.leave();
  } else {
    throw r.corrupt('encryptedContent is missing (detached content is not supported)');
  }
  await r.leave(); // EncryptedContentInfo
}

/** The MAC and the closing of every open value; nothing may follow. */
async function readTail(r: BerFileReader): Promise<Buffer> {
  if ((await r.peekByte()) === ctxCons(1)) throw r.corrupt('authAttrs are not supported');
  const mac = await r.small(Tag.OctetString, 64, 'mac');
  if (mac.length !== TAG_BYTES) throw r.corrupt(`mac is ${mac.length} bytes, expected ${TAG_BYTES}`);
  await r.leave(); // AuthEnvelopedData: unauthAttrs would show up here as trailing elements
  await r.leave(); // [0]
  await r.leave(); // ContentInfo
  if (!r.atEndOfFile()) throw r.corrupt('data after the end of the CMS structure');
  return mac;
}

function mismatch(message: string): PosdecomError {
  return new PosdecomError(ErrorCode.BackupDigestMismatch, message);
}

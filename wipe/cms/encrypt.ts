/**
 * Streams a backup store into an encrypted CMS file in one pass with flat memory (layout in
 * cms/format.ts). The plaintext never touches the disk: each chunk is encrypted as it arrives and
 * only ciphertext is written, under a temp name that becomes the final name after fsync.
 *
 *   write(chunk) -> sha256(plain) -> AES-256-GCM -> 64 KiB OCTET STRINGs -> sha256(file) -> temp file
 *   finish()     -> GCM tag as the CMS mac -> fsync -> rename -> fsync(dir)
 */
import { constants, createCipheriv, createHash, publicEncrypt, randomBytes } from 'node:crypto';
import type { CipherGCM, Hash } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { AtomicFile } from '../backup/atomic-file.js';
import {
  CEK_BYTES,
  CHUNK_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  chunkHeader,
  recipientInfos,
  streamHeader,
  streamTrailer,
} from './format.js';
import { parseRecipient } from './recipient.js';
import type { Recipient } from './recipient.js';

export { loadRecipient } from './recipient.js';
export type { Recipient, RecipientInfoSummary } from './recipient.js';

/** Recorded in the backup manifest so a reader knows what opens the files without reading them. */
export const ENCRYPTION_PARAMETERS: { container: string; contentEncryption: string; keyTransport: string } =
  Object.freeze({
    container: 'CMS AuthEnvelopedData (RFC 5083), BER, .cms',
    contentEncryption: 'AES-256-GCM (RFC 5084), 96-bit nonce, 128-bit tag',
    keyTransport: 'RSAES-OAEP (RFC 8017) SHA-256, MGF1-SHA-256',
  });

export interface EncryptedFileResult {
  plaintextBytes: number;
  plaintextSha256: string;
  /** SHA-256 of the whole .cms file as written. */
  ciphertextSha256: string;
  path: string;
}

export interface EncryptedFileWriter {
  /** Resolves once the ciphertext is handed to the OS: awaiting it is the backpressure. */
  write(chunk: Buffer): Promise<void>;
  finish(): Promise<EncryptedFileResult>;
  /** Removes the temp file; safe to call at any time, and more than once. */
  abort(): Promise<void>;
  readonly tempPath: string;
}

/** The cipher and digests a writer feeds. */
interface WriterState {
  cipher: CipherGCM;
  plainHash: Hash;
  fileHash: Hash;
  plaintextBytes: number;
}

/**
 * A new file under a fresh content key. The key exists in clear only in this process (in the
 * cipher); on disk only wrapped to the recipient, in the file's own header.
 */
export async function createEncryptedFileWriter(
  finalPath: string,
  recipient: Recipient,
): Promise<EncryptedFileWriter> {
  const r = parseRecipient(recipient.certPem, 'for this backup');
  const cek = randomBytes(CEK_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const wrapped = publicEncrypt(
    { key: r.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    cek,
  );
  const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: TAG_BYTES });
  try {
    const file = await AtomicFile.create(finalPath, 0o600);
    const writer = new CmsFileWriter(file, {
      cipher,
      plainHash: createHash('sha256'),
      fileHash: createHash('sha256'),
      plaintextBytes: 0,
    });
    const header = streamHeader(recipientInfos(r.issuerDer, r.serialDer, wrapped), nonce);
    await writer.start(header);
    return writer;
  } finally {
    cek.fill(0); // the cipher holds its own copy; ours need not outlive this function
  }
}

class CmsFileWriter implements EncryptedFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private plaintextBytes: number;
  private readonly plainHash: Hash;
  private readonly fileHash: Hash;
  private readonly cipher: CipherGCM;
  private state: 'open' | 'done' | 'failed' = 'open';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: AtomicFile,
    s: WriterState,
  ) {
    this.cipher = s.cipher;
    this.plainHash = s.plainHash;
    this.fileHash = s.fileHash;
    this.plaintextBytes = s.plaintextBytes;
  }

  get tempPath(): string {
    return this.file.tempPath;
  }

  start(header: Buffer): Promise<void> {
    return this.serial(() => this.emit([header]));
  }

  write(chunk: Buffer): Promise<void> {
    return this.serial(async () => {
      this.assertOpen();
      this.plainHash.update(chunk);
      this.plaintextBytes += chunk.length;
      // Encrypt in slices that end exactly on chunk boundaries, so complete chunks go to writev
      // as the cipher produced them: no concatenation, one short-lived copy of the data.
      const out: Buffer[] = [];
      for (let off = 0; off < chunk.length;) {
        const slice = chunk.subarray(off, off + CHUNK_BYTES - this.pendingBytes);
        off += slice.length;
        this.pending.push(this.cipher.update(slice));
        this.pendingBytes += slice.length;
        if (this.pendingBytes === CHUNK_BYTES) {
          out.push(chunkHeader(CHUNK_BYTES), ...this.pending);
          this.pending = [];
          this.pendingBytes = 0;
        }
      }
      if (out.length > 0) await this.emit(out);
    });
  }

  finish(): Promise<EncryptedFileResult> {
    return this.serial(async () => {
      this.assertOpen();
      const rest = Buffer.concat([...this.pending, this.cipher.final()]);
      this.pending = [];
      const out = rest.length > 0 ? [chunkHeader(rest.length), rest] : [];
      out.push(streamTrailer(this.cipher.getAuthTag()));
      await this.emit(out);
      try {
        await this.file.commit();
      } finally {
        this.state = 'done';
      }
      return {
        plaintextBytes: this.plaintextBytes,
        plaintextSha256: this.plainHash.digest('hex'),
        ciphertextSha256: this.fileHash.digest('hex'),
        path: this.file.finalPath,
      };
    });
  }

  abort(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'done') await this.file.discard();
      this.state = 'done';
    });
  }

  /** Calls run one after another, so an un-awaited write cannot reorder the file. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      const what = this.state === 'done' ? 'finished or aborted' : 'failed';
      throw new PosdecomError(
        ErrorCode.BackupOutputUnusable,
        `backup file ${this.file.finalPath} is already ${what}`,
      );
    }
  }

  private async emit(buffers: Buffer[]): Promise<void> {
    try {
      await this.file.write(buffers);
    } catch (err) {
      this.state = 'failed';
      await this.file.discard();
      throw err;
    }
    for (const b of buffers) this.fileHash.update(b);
  }
}

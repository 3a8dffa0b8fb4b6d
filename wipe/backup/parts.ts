import { join } from 'node:path';
import { createEncryptedFileWriter, type EncryptedFileWriter, type Recipient } from '../cms/encrypt.js';
import { backupFileName } from './safe-name.js';

/**
 * A store's backup as a sequence of complete CMS files ("parts"), each under its own content key
 * that only ever exists in this process and wrapped to the backup recipient. A store no larger
 * than one part stays one file, `NN-name.cms`; a larger one is `NN-name.p001.cms`,
 * `NN-name.p002.cms`, ... each holding `partBytes` of the store (the last one the rest).
 *
 *   plaintext at offset -> part k = offset / partBytes -> CMS writer k -> fsync, rename -> onPart
 *
 * A part gets its final name only when complete; a cut leaves complete parts and at most one
 * torn temp file, which is never counted and is removed.
 */
export const DEFAULT_PART_BYTES = 4 * 1024 * 1024;
/** Parts end on fingerprint blocks, and no store needs more than this many files. */
export const PART_ALIGN = 4096;
export const MAX_PARTS = 9999;

export interface BackupPart {
  file: string;
  offset: number;
  length: number;
  plaintextSha256: string;
  ciphertextSha256: string;
}

/** The part files of store number `index` (1-based) of `size` bytes. */
export function partFileName(index: number, storeName: string, part: number, multi: boolean): string {
  const single = backupFileName(index, storeName);
  return multi ? single.replace(/\.cms$/, `.p${String(part + 1).padStart(3, '0')}.cms`) : single;
}

/** How many parts a store of `size` bytes is split into (at least one, even when empty). */
export function partCount(size: number, partBytes: number): number {
  return Math.max(1, Math.ceil(size / partBytes));
}

/** Checks a part size given on the command line or in a checkpoint. */
export function validPartBytes(n: number): boolean {
  return Number.isSafeInteger(n) && n >= PART_ALIGN && n % PART_ALIGN === 0;
}

export interface PartSequenceOptions {
  backupDir: string;
  index: number;
  storeName: string;
  size: number;
  partBytes: number;
  recipient: Recipient;
  /** The part to start with and its offset (after the complete parts a resumed run kept). */
  firstPart: number;
  /** Called once a part is complete and durable under its final name. */
  onPart: (part: BackupPart) => Promise<void>;
}

/** Writes plaintext, in order, into consecutive parts. */
export class PartSequence {
  private writer: EncryptedFileWriter | undefined;
  private part: number;
  private offset: number;
  private partStart: number;
  private readonly multi: boolean;

  constructor(private readonly o: PartSequenceOptions) {
    this.part = o.firstPart;
    this.offset = o.firstPart * o.partBytes;
    this.partStart = this.offset;
    this.multi = partCount(o.size, o.partBytes) > 1;
  }

  get position(): number {
    return this.offset;
  }

  async write(bytes: Buffer): Promise<void> {
    let rest = bytes;
    while (rest.length > 0) {
      const room = this.partStart + this.o.partBytes - this.offset;
      const piece = rest.subarray(0, room);
      rest = rest.subarray(piece.length);
      await (await this.open()).write(piece);
      this.offset += piece.length;
      // A full part is closed at once, unless it is the store's last (finish() closes that one).
      if (this.offset === this.partStart + this.o.partBytes && this.offset < this.o.size) await this.close();
    }
  }

  /** Closes the last part; an empty store still gets its one (empty) file. */
  async finish(): Promise<void> {
    if (this.writer !== undefined || this.offset === 0) await this.close();
  }

  /** Removes the temp file of the part under way; the complete ones stay. */
  async abort(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.abort();
  }

  private async open(): Promise<EncryptedFileWriter> {
    if (this.writer) return this.writer;
    const file = partFileName(this.o.index, this.o.storeName, this.part, this.multi);
    this.writer = await createEncryptedFileWriter(join(this.o.backupDir, file), this.o.recipient);
    return this.writer;
  }

  private async close(): Promise<void> {
    const w = await this.open();
    const done = await w.finish();
    this.writer = undefined;
    const part: BackupPart = {
      file: partFileName(this.o.index, this.o.storeName, this.part, this.multi),
      offset: this.partStart,
      length: done.plaintextBytes,
      plaintextSha256: done.plaintextSha256,
      ciphertextSha256: done.ciphertextSha256,
    };
    this.part++;
    this.partStart = this.offset;
    await this.o.onPart(part);
  }
}

import { createHash } from 'node:crypto';

/**
 * Per-block fingerprints of a store as backed up: the first 8 bytes of SHA-256 of every
 * 4 KiB block. They let erase verification prove a sampled block changed (crypto erase) without
 * keeping any plaintext outside the encrypted backup; 8 bytes of a hash reveal nothing of a block.
 */
export const BLOCK_SIZE = 4096;
export const FINGERPRINT_BYTES = 8;

export function fingerprint(block: Buffer): Buffer {
  return createHash('sha256').update(block).digest().subarray(0, FINGERPRINT_BYTES);
}

/** Fingerprints are packed into pages as they are made: a Buffer per block costs ~50x its 8 bytes. */
const PAGE_BYTES = 64 * 1024;

/** Accepts bytes in arbitrary pieces, in order; emits one fingerprint per whole block. */
export class FingerprintAccumulator {
  private readonly parts: Buffer[] = [];
  private held = 0;
  private readonly pages: Buffer[] = [];
  private used = PAGE_BYTES;

  push(bytes: Buffer): void {
    let rest = bytes;
    while (rest.length > 0) {
      const take = Math.min(rest.length, BLOCK_SIZE - this.held);
      this.parts.push(rest.subarray(0, take));
      this.held += take;
      rest = rest.subarray(take);
      if (this.held === BLOCK_SIZE) this.flushBlock();
    }
  }

  /** The fingerprints so far, including a final partial block. */
  finish(): Buffer {
    if (this.held > 0) this.flushBlock();
    const last = this.pages.length - 1;
    return Buffer.concat(this.pages.map((page, i) => (i === last ? page.subarray(0, this.used) : page)));
  }

  private flushBlock(): void {
    const hash = createHash('sha256');
    for (const part of this.parts) hash.update(part);
    if (this.used === PAGE_BYTES) {
      this.pages.push(Buffer.allocUnsafe(PAGE_BYTES));
      this.used = 0;
    }
    hash.digest().copy(this.pages[this.pages.length - 1]!, this.used, 0, FINGERPRINT_BYTES);
    this.used += FINGERPRINT_BYTES;
    this.parts.length = 0;
    this.held = 0;
  }
}

export function fingerprintAt(all: Buffer, block: number): Buffer | undefined {
  const start = block * FINGERPRINT_BYTES;
  if (start + FINGERPRINT_BYTES > all.length) return undefined;
  return all.subarray(start, start + FINGERPRINT_BYTES);
}

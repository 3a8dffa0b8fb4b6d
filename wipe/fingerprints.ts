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

/** Accepts bytes in arbitrary pieces, in order; emits one fingerprint per whole block. */
export class FingerprintAccumulator {
  private readonly parts: Buffer[] = [];
  private held = 0;
  private readonly out: Buffer[] = [];

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
    return Buffer.concat(this.out);
  }

  private flushBlock(): void {
    this.out.push(fingerprint(Buffer.concat(this.parts, this.held)));
    this.parts.length = 0;
    this.held = 0;
  }
}

export function fingerprintAt(all: Buffer, block: number): Buffer | undefined {
  const start = block * FINGERPRINT_BYTES;
  if (start + FINGERPRINT_BYTES > all.length) return undefined;
  return all.subarray(start, start + FINGERPRINT_BYTES);
}

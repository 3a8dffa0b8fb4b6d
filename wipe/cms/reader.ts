/**
 * A forward-only BER reader over a file, for decrypting backups of any size in bounded memory.
 * It holds one read block, never an element's whole content: small elements are copied out with a
 * caller-given maximum, large ones (the ciphertext) are handed over in pieces.
 *
 * Every length is checked against the innermost definite-length container and the bytes left in
 * the file, so a hostile length can neither make us allocate nor read past where it may.
 */
import type { FileHandle } from 'node:fs/promises';
import { MalformedDer } from './der.js';

const READ_BLOCK = 256 * 1024;
const CONSTRUCTED = 0x20;

export interface Header {
  tag: number;
  /** null for the indefinite form. */
  length: number | null;
}

interface Frame {
  what: string;
  /** Absolute offset just past the value, or null when it ends with end-of-contents octets. */
  end: number | null;
}

export class BerFileReader {
  private buf = Buffer.alloc(0);
  /** Reused for every read whose bytes are all consumed before the next one (the common case). */
  private readonly block = Buffer.allocUnsafe(READ_BLOCK);
  private off = 0;
  private filePos = 0;
  private readonly frames: Frame[] = [];

  /** `onRead` sees every byte of the file exactly once, in order (for the file digest). */
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly onRead: (bytes: Buffer) => void,
  ) {}

  /** Offset of the next unread byte. */
  get pos(): number {
    return this.filePos - (this.buf.length - this.off);
  }

  corrupt(message: string): MalformedDer {
    return new MalformedDer(`${message} (at byte ${this.pos})`);
  }

  private async fill(min: number): Promise<void> {
    while (this.buf.length - this.off < min) {
      if (this.filePos >= this.size) throw this.corrupt('file ends early');
      // Unread bytes may live in `block` itself: copy them out before the read overwrites them.
      const rest = Buffer.from(this.buf.subarray(this.off));
      const want = Math.min(READ_BLOCK, this.size - this.filePos);
      const { bytesRead } = await this.fh.read(this.block, 0, want, this.filePos);
      if (bytesRead === 0) throw this.corrupt('file shrank while being read');
      const got = this.block.subarray(0, bytesRead);
      this.onRead(got);
      this.filePos += bytesRead;
      this.buf = rest.length > 0 ? Buffer.concat([rest, got]) : got;
      this.off = 0;
    }
  }

  async peekByte(): Promise<number> {
    await this.fill(1);
    return this.buf[this.off] ?? 0;
  }

  /** The first byte past the innermost definite container, or the end of the file. */
  private limit(): number {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const end = this.frames[i]?.end;
      if (end !== undefined && end !== null) return end;
    }
    return this.size;
  }

  /** Copies out the next `n` bytes; `n` is always small and bounded by the caller. */
  async take(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = Buffer.from(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return out;
  }

  async header(): Promise<Header> {
    const [tag, first] = await this.take(2);
    if (tag === undefined || first === undefined) throw this.corrupt('truncated header');
    if ((tag & 0x1f) === 0x1f) throw this.corrupt('multi-byte tag');
    if (first === 0x80) {
      if ((tag & CONSTRUCTED) === 0) throw this.corrupt('indefinite length on a primitive value');
      return { tag, length: null };
    }
    let length = first;
    if (first > 0x80) {
      const n = first & 0x7f;
      if (n > 4) throw this.corrupt('length field longer than 4 bytes');
      length = [...(await this.take(n))].reduce((acc, b) => acc * 256 + b, 0);
    }
    if (this.pos + length > this.limit()) throw this.corrupt('length runs past its container');
    return { tag, length };
  }

  /** Reads a definite-length element of at most `max` content bytes and returns its content. */
  async small(tag: number, max: number, what: string): Promise<Buffer> {
    const h = await this.header();
    if (h.tag !== tag)
      throw this.corrupt(`${what}: expected tag 0x${tag.toString(16)}, got 0x${h.tag.toString(16)}`);
    if (h.length === null || h.length > max) throw this.corrupt(`${what} is longer than ${max} bytes`);
    return this.take(h.length);
  }

  /** Opens a constructed value (definite or indefinite) that `leave` must close. */
  async enter(tag: number, what: string): Promise<void> {
    const h = await this.header();
    if (h.tag !== tag)
      throw this.corrupt(`${what}: expected tag 0x${tag.toString(16)}, got 0x${h.tag.toString(16)}`);
    this.frames.push({ what, end: h.length === null ? null : this.pos + h.length });
  }

  async leave(): Promise<void> {
    const frame = this.frames.pop();
    if (frame === undefined) throw this.corrupt('unbalanced structure');
    if (frame.end === null) {
      const eoc = await this.take(2);
      if (eoc[0] !== 0 || eoc[1] !== 0) throw this.corrupt(`${frame.what} has unexpected trailing elements`);
    } else if (this.pos !== frame.end) {
      throw this.corrupt(`${frame.what} has unexpected trailing elements`);
    }
  }

  /** Whether the innermost open value holds another element. */
  async hasMore(): Promise<boolean> {
    const frame = this.frames[this.frames.length - 1];
    if (frame === undefined) return this.pos < this.size;
    if (frame.end !== null) return this.pos < frame.end;
    await this.fill(2);
    return this.buf[this.off] !== 0 || this.buf[this.off + 1] !== 0;
  }

  /** Hands over the next `n` bytes in pieces; each piece is valid only until the next call. */
  async *pieces(n: number): AsyncGenerator<Buffer> {
    for (let left = n; left > 0;) {
      if (this.off === this.buf.length) await this.fill(1);
      const piece = this.buf.subarray(this.off, this.off + Math.min(left, this.buf.length - this.off));
      this.off += piece.length;
      left -= piece.length;
      yield piece;
    }
  }

  atEndOfFile(): boolean {
    return this.pos === this.size;
  }
}

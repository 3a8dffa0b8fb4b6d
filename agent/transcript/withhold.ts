import { createHmac, randomBytes } from 'node:crypto';

/**
 * READ data of a store that may hold card data is withheld from a transcript entirely: every
 * byte is replaced by a filler, so no encoding of card data (ASCII, BCD, anything) can survive,
 * and the length is kept. The filler is a constant byte per 4 KiB block of the store (the
 * agent's erase-verification block), chosen so that a replay reaches the verdicts the live run
 * reached:
 *
 *   content as first read (the backup)           -> 'X'
 *   after the n-th ERASE of the store, a block   -> zeros when it reads all zero (an overwrite)
 *                                                -> 'X' when it is exactly what was first read
 *                                                   (an erase that left the data: keyed
 *                                                   fingerprints, below, tell)
 *                                                -> 'X' + n otherwise (it changed)
 *
 * So a replayed read-back finds zeros where the live one did, and a block that changed where the
 * live one did, without a byte of the data in the file. To tell "unchanged" the first read's
 * blocks are fingerprinted with HMAC-SHA256 under a key made for this recording and never
 * written anywhere; fingerprints stay in memory (8 bytes a block), so nothing in the file or the
 * process after it can be matched against guessed card data. A read-back that covers only part
 * of a block is counted as changed unless it is all zero.
 */
export const BLOCK = 4096;
const FIRST = 0x58;
const MAX_PENDING_BLOCKS = 1024;

interface StoreState {
  size: number | undefined;
  erases: number;
  /** Keyed fingerprints of blocks as first read. */
  first: Map<number, Buffer>;
  /** Blocks of the first read still being put together: bytes, and which of them arrived. */
  pending: Map<number, { bytes: Buffer; seen: Uint8Array; count: number }>;
}

export class Withholder {
  private readonly key = randomBytes(32);
  private readonly stores = new Map<string, StoreState>();

  /** STORES said this store is `size` bytes long (the last block may be short). */
  noteSize(store: string, size: number): void {
    this.state(store).size = size;
  }

  /** An ERASE of the store went out: what is read from now on is another content. */
  noteErase(store: string): void {
    this.state(store).erases++;
  }

  /** The filler for `raw`, read from `offset` of `store`: the same length, no byte of it. */
  fill(store: string, offset: number, raw: Buffer): Buffer {
    const s = this.state(store);
    const out = Buffer.alloc(raw.length, FIRST);
    for (let at = 0; at < raw.length;) {
      const block = Math.floor((offset + at) / BLOCK);
      const end = Math.min(raw.length, (block + 1) * BLOCK - offset);
      const piece = raw.subarray(at, end);
      if (s.erases === 0) this.learn(s, block, offset + at - block * BLOCK, piece);
      else out.fill(this.afterErase(s, block, offset + at, piece), at, end);
      at = end;
    }
    return out;
  }

  private afterErase(s: StoreState, block: number, from: number, piece: Buffer): number {
    if (piece.every((b) => b === 0)) return 0;
    const whole = from === block * BLOCK && piece.length === this.blockLength(s, block);
    const before = s.first.get(block);
    if (whole && before?.equals(this.fingerprint(piece))) return FIRST;
    return FIRST + (s.erases % 32);
  }

  private learn(s: StoreState, block: number, within: number, piece: Buffer): void {
    if (s.first.has(block)) return;
    const length = this.blockLength(s, block);
    let p = s.pending.get(block);
    if (!p) {
      if (s.pending.size >= MAX_PENDING_BLOCKS) s.pending.delete(s.pending.keys().next().value!);
      p = { bytes: Buffer.alloc(length), seen: new Uint8Array(length), count: 0 };
      s.pending.set(block, p);
    }
    for (let i = 0; i < piece.length && within + i < length; i++) {
      p.bytes[within + i] = piece[i]!;
      if (p.seen[within + i] === 0) {
        p.seen[within + i] = 1;
        p.count++;
      }
    }
    if (p.count === length) {
      s.first.set(block, this.fingerprint(p.bytes));
      s.pending.delete(block);
    }
  }

  private blockLength(s: StoreState, block: number): number {
    return s.size === undefined ? BLOCK : Math.max(0, Math.min(BLOCK, s.size - block * BLOCK));
  }

  private fingerprint(bytes: Buffer): Buffer {
    return createHmac('sha256', this.key).update(bytes).digest().subarray(0, 8);
  }

  private state(store: string): StoreState {
    let s = this.stores.get(store);
    if (!s) {
      s = { size: undefined, erases: 0, first: new Map(), pending: new Map() };
      this.stores.set(store, s);
    }
    return s;
  }
}

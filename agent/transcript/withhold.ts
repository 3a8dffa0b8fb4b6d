import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * READ data of a store that may hold card data is withheld from a transcript entirely: every
 * byte is replaced by a filler, so no encoding of card data (ASCII, BCD, anything) can survive,
 * and the length is kept. The filler is a constant byte per 4 KiB block of the store (the
 * agent's erase-verification block), chosen so that a replay reaches the verdicts the live run
 * reached:
 *
 *   content as first read (the backup)           -> 'X'
 *   after an ERASE of the store, a block         -> zeros or 0xFF when it reads all zero or all
 *                                                   ones (an overwrite's pattern)
 *                                                -> 'X' when it is exactly what was first read
 *                                                   (an erase that left the data: keyed
 *                                                   fingerprints, below, tell)
 *                                                -> CHANGED otherwise: one fixed, public pattern
 *
 * So a replayed read-back finds a pattern where the live one did, and a block that changed where
 * the live one did, without a byte of the data in the file. CHANGED is what erase verification
 * must accept as ciphertext and as far from every 'X' block (wipe/erasure/read-back.ts): a
 * permutation of the 256 byte values, repeated, so every byte value is as frequent as in random
 * bytes, with as many runs above and below 0x80 as random bytes have (the chi-square and runs
 * tests of wipe/erasure/randomness.ts pass on any number of such blocks), about half its bits
 * differ from 'X', and it compresses (so a deflated READ keeps its length). To tell "unchanged" the first read's
 * blocks are fingerprinted with HMAC-SHA256 under a key made for this recording and never
 * written anywhere; fingerprints stay in memory (8 bytes a block), so nothing in the file or the
 * process after it can be matched against guessed card data. A read-back that covers only part
 * of a block is counted as changed unless it is all zero.
 */
export const BLOCK = 4096;
const FIRST = 0x58;

/**
 * The permutation is a Fisher-Yates shuffle drawn from SHA-256 in counter mode under a fixed
 * label; seed 8 is the first whose 0x80 runs match random bytes' expected count within 0.5
 * standard deviations over 2,000 blocks (test/replay-masking.test.ts checks the verdicts).
 */
function changedPattern(seed: number): Buffer {
  let counter = 0;
  let pool = Buffer.alloc(0);
  const next = (): number => {
    if (pool.length < 4)
      pool = createHash('sha256').update(`posdecom-withheld-pattern/1|${seed}|${counter++}`).digest();
    const v = pool.readUInt32BE(0);
    pool = pool.subarray(4);
    return v;
  };
  const p = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 255; i > 0; i--) {
    const j = next() % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return Buffer.from(Array.from({ length: BLOCK }, (_, i) => p[i % 256]!));
}
export const CHANGED = changedPattern(8);
const PATTERN = -1;
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
      else {
        const fill = this.afterErase(s, block, offset + at, piece);
        if (fill !== PATTERN) out.fill(fill, at, end);
        else for (let i = at; i < end; i++) out[i] = CHANGED[(offset + i) % BLOCK]!;
      }
      at = end;
    }
    return out;
  }

  private afterErase(s: StoreState, block: number, from: number, piece: Buffer): number {
    if (piece.every((b) => b === 0)) return 0;
    if (piece.every((b) => b === 0xff)) return 0xff;
    const whole = from === block * BLOCK && piece.length === this.blockLength(s, block);
    const before = s.first.get(block);
    if (whole && before?.equals(this.fingerprint(piece))) return FIRST;
    return PATTERN;
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

import { createCipheriv, createHash } from 'node:crypto';
import { BLOCK_SIZE, type Block, type ContentContext } from './block.js';
import { batchBlock, safBlock } from './records.js';
import { configBlock, journalBlock, logsBlock, settlementsBlock } from './text.js';
import { derive, Prng } from '../prng.js';
import type { Steps } from '../steps.js';
import type { StoreKind } from '../../domain.js';

/**
 * What a store holds, as a description rather than bytes: the original generated content (for
 * the saf store: with its queue `forwarded` once FORWARD has run), or what an erase pass left (zeros, ones, pseudo-random), under partial passes that have covered
 * a prefix of the store (a pass in progress, or one that failed part-way). `over` lists those
 * newest first; a newer layer always ends before an older one, or the older one is hidden and
 * dropped. Layouts are immutable values: a digest computed over one is stable even if an erase
 * moves on meanwhile.
 */
export type Fill =
  | { kind: 'original'; forwarded?: true }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'random'; salt: string };
export interface Overlay {
  fill: Fill;
  upTo: number;
}
export interface Layout {
  base: Fill;
  over?: Overlay[];
}

/** `layout` with a new partial pass on top covering [0, upTo). */
export function overlay(layout: Layout, fill: Fill, upTo: number): Layout {
  if (upTo <= 0) return layout;
  const older = (layout.over ?? []).filter((o) => o.upTo > upTo);
  return { base: layout.base, over: [{ fill, upTo }, ...older] };
}

export const ORIGINAL: Layout = Object.freeze({ base: Object.freeze({ kind: 'original' as const }) });
/** The saf store's content once its queue has been forwarded (SPEC.md s.6.20). */
export const FORWARDED: Layout = Object.freeze({
  base: Object.freeze({ kind: 'original' as const, forwarded: true as const }),
});

/** Is this the generated content, untouched by any erase pass? */
export function isOriginal(layout: Layout): boolean {
  return layout.base.kind === 'original' && !layout.over?.length;
}

type BlockGenerator = (rng: Prng, ctx: ContentContext, index: number, forwarded: boolean) => Block;
const GENERATORS: Record<StoreKind, BlockGenerator> = {
  journal: journalBlock,
  batch: batchBlock,
  saf: safBlock,
  settlements: settlementsBlock,
  logs: logsBlock,
  config: configBlock,
};

const CACHE_BLOCKS = 64;
const CHUNK = 1024 * 1024;

export class StoreContent {
  /** Blocks by index, negative for the forwarded variant (only the saf store has one). */
  private readonly cache = new Map<number, Block>();
  private readonly generate: BlockGenerator;

  constructor(
    readonly ctx: ContentContext,
    readonly size: number,
  ) {
    this.generate = GENERATORS[ctx.kind];
  }

  /** Bytes [offset, offset + length) of the store under `layout`; the caller range-checks. */
  read(layout: Layout, offset: number, length: number): Buffer {
    const parts: Buffer[] = [];
    const end = offset + length;
    for (let at = offset; at < end;) {
      // The newest layer covering `at` wins; newer layers end earlier, so it reaches its upTo.
      const top = layout.over?.find((o) => at < o.upTo);
      const until = top ? Math.min(end, top.upTo) : end;
      parts.push(this.readFill(top ? top.fill : layout.base, at, until - at));
      at = until;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  }

  /** The layout's bytes in order, CHUNK at a time: for digests and verification scans. */
  *chunks(layout: Layout): Generator<Buffer> {
    for (let at = 0; at < this.size; at += CHUNK)
      yield this.read(layout, at, Math.min(CHUNK, this.size - at));
  }

  /**
   * One pass over the original content for what STORES reports before any erase: its sha256
   * and its record count (records whose last byte lies inside the store).
   */
  *originalScan(forwarded = false): Steps<{ sha256: string; records: number }> {
    const hash = createHash('sha256');
    const blocks = Math.ceil(this.size / BLOCK_SIZE);
    let records = 0;
    for (let i = 0; i < blocks; i++) {
      const limit = Math.min(BLOCK_SIZE, this.size - i * BLOCK_SIZE);
      const block = this.block(i, forwarded);
      hash.update(limit === BLOCK_SIZE ? block.bytes : block.bytes.subarray(0, limit));
      for (const end of block.ends) if (end <= limit) records++;
      if (i % 256 === 255) yield;
    }
    return { sha256: hash.digest('hex'), records };
  }

  private readFill(fill: Fill, offset: number, length: number): Buffer {
    switch (fill.kind) {
      case 'zeros':
        return Buffer.alloc(length);
      case 'ones':
        return Buffer.alloc(length, 0xff);
      case 'random':
        return this.keystream(fill.salt, offset, length);
      case 'original':
        return this.readOriginal(offset, length, fill.forwarded === true);
    }
  }

  private readOriginal(offset: number, length: number, forwarded: boolean): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const index = Math.floor(at / BLOCK_SIZE);
      const within = at - index * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - within, length - done);
      this.block(index, forwarded).bytes.copy(out, done, within, within + n);
      done += n;
    }
    return out;
  }

  private block(index: number, forwarded = false): Block {
    const key = forwarded ? -1 - index : index;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const rng = new Prng(derive(this.ctx.seed, `store|${this.ctx.store}|block|${index}`));
    const block = this.generate(rng, this.ctx, index, forwarded);
    this.cache.set(key, block);
    if (this.cache.size > CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    return block;
  }

  /** AES-256-CTR keystream: random access by offset, fast, and unpredictable without the seed. */
  private keystream(salt: string, offset: number, length: number): Buffer {
    const key = derive(this.ctx.seed, `fill|${this.ctx.store}|${salt}`);
    const iv = Buffer.alloc(16);
    const counter = Math.floor(offset / 16);
    iv.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 8);
    iv.writeUInt32BE(counter >>> 0, 12);
    const skip = offset % 16;
    const cipher = createCipheriv('aes-256-ctr', key, iv);
    return cipher.update(Buffer.alloc(skip + length)).subarray(skip);
  }
}

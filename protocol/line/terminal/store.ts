import { createHash } from 'node:crypto';
import { Coverage } from '../../simulator/coverage.js';
import {
  FORWARDED,
  isOriginal,
  ORIGINAL,
  StoreContent,
  type Fill,
  type Layout,
} from '../../simulator/content/layout.js';
import type { Steps } from '../../simulator/steps.js';
import type { EraseMethod, StoreInfo, StoreKind, StoreMedia } from '../../domain.js';

/** What the state file keeps of a store: never its bytes, only how to regenerate them. */
export interface StorePersisted {
  layout: Layout;
  erased: boolean;
  method: EraseMethod | null;
  eraseCount: number;
  /** Set when an erase "completed" under the erase-lie fault: the claim and the bytes differ. */
  lied: boolean;
  /**
   * Records the terminal wrote after the generated content (latin1), oldest first: what a
   * settlement adds to `settlements` and `logs`. Absent in state files from before 1.1 of the
   * simulator: nothing appended.
   */
  appended?: string[];
}

const DIGEST_CACHE = 8;

/**
 * One store of the terminal: its generated content, what erasing has done to it, and what the
 * terminal *claims* about it. The two differ only under the erase-lie fault, which is the
 * point of that fault: an agent that trusts STORES and VERIFY_ERASE instead of reading back is
 * caught by it.
 */
export class Store {
  readonly content: StoreContent;
  state: StorePersisted;
  /** What READ replies carried, before and after an erase (memory only: for tests, not restarts). */
  readonly served = { original: new Coverage(), afterErase: new Coverage() };
  private readonly digests = new Map<string, string>();
  /** Digest and record count of the generated content, per variant (queue forwarded or not). */
  private readonly original = new Map<boolean, { sha256: string; records: number }>();

  constructor(
    readonly name: string,
    readonly kind: StoreKind,
    readonly cardData: boolean,
    content: StoreContent,
    persisted: StorePersisted | undefined,
    readonly media?: StoreMedia,
  ) {
    this.content = content;
    this.state = persisted ?? { layout: ORIGINAL, erased: false, method: null, eraseCount: 0, lied: false };
    content.append((this.state.appended ?? []).map((r) => Buffer.from(r, 'latin1')));
  }

  /** Grows with every record the terminal appends; an erase keeps it (SPEC.md s.6.11). */
  get size(): number {
    return this.content.size;
  }

  /** The terminal writes records of its own after the current end (the caller persists). */
  append(records: string[]): void {
    if (records.length === 0) return;
    this.content.append(records.map((r) => Buffer.from(r, 'latin1')));
    this.state = { ...this.state, appended: [...(this.state.appended ?? []), ...records] };
    this.original.clear();
  }

  /** The store's records are cleared as flash is, to 0xFF (a settled batch); not an erase. */
  clear(): void {
    this.state = { ...this.state, layout: { base: { kind: 'ones' } } };
  }

  read(offset: number, length: number): Buffer {
    return this.content.read(this.state.layout, offset, length);
  }

  /** A READ reply carried [offset, offset + length) in full. */
  noteServed(offset: number, length: number): void {
    (this.state.erased ? this.served.afterErase : this.served.original).add(offset, length);
  }

  /** The layout the terminal claims: the real one, unless it lied about an erase. */
  claimedLayout(): Layout {
    if (!this.state.lied || !this.state.method) return this.state.layout;
    return { base: finalFill(this.state.method, `lie|${this.state.eraseCount}`) };
  }

  /**
   * The saf store's queue has been forwarded: its queued records are marked forwarded (SPEC.md
   * s.6.20). Only the generated content has a queue; an erased store has nothing to mark.
   */
  markForwarded(): void {
    if (isOriginal(this.state.layout)) this.state = { ...this.state, layout: FORWARDED };
  }

  *infoSteps(): Steps<StoreInfo> {
    const layout = this.claimedLayout();
    const sha256 = yield* this.digestSteps(layout);
    const pristine = layout.base.kind === 'original' && !this.state.erased;
    const records = pristine ? (yield* this.originalFacts(forwardedIn(layout))).records : 0;
    return {
      name: this.name,
      kind: this.kind,
      size: this.size,
      records,
      sha256,
      cardData: this.cardData,
      erased: this.state.erased,
      ...(this.media ? { media: this.media } : {}),
    };
  }

  /** sha256 of a layout's bytes; cached per layout, so an unchanged store is hashed once. */
  *digestSteps(layout: Layout = this.state.layout): Steps<string> {
    if (isOriginal(layout)) return (yield* this.originalFacts(forwardedIn(layout))).sha256;
    // The same layout over a store that has grown since is other content.
    const key = `${this.size}|${JSON.stringify(layout)}`;
    const hit = this.digests.get(key);
    if (hit) return hit;
    const hash = createHash('sha256');
    for (const chunk of this.content.chunks(layout)) {
      hash.update(chunk);
      yield;
    }
    const hex = hash.digest('hex');
    this.digests.set(key, hex);
    if (this.digests.size > DIGEST_CACHE) this.digests.delete(this.digests.keys().next().value!);
    return hex;
  }

  /** Digest and record count of the generated content: one pass, then remembered. */
  private *originalFacts(forwarded: boolean): Steps<{ sha256: string; records: number }> {
    let facts = this.original.get(forwarded);
    if (!facts) {
      facts = yield* this.content.originalScan(forwarded);
      this.original.set(forwarded, facts);
    }
    return facts;
  }

  /** The terminal's own post-erase check: are the bytes what the method leaves behind? */
  *verifySteps(): Steps<boolean> {
    const { method, erased, lied, layout } = this.state;
    if (!erased || !method) return false;
    if (lied) return true;
    if (layout.over?.length) return false;
    if (method === 'crypto') return layout.base.kind === 'random';
    for (const chunk of this.content.chunks(layout)) {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
      yield;
    }
    return true;
  }
}

/** The pass sequence of each method (SPEC.md s.6.11); the last pass is what READ returns. */
export function passFills(method: EraseMethod, salt: string): Fill[] {
  switch (method) {
    case 'crypto':
      return [{ kind: 'random', salt: `crypto|${salt}` }];
    case 'overwrite1':
      return [{ kind: 'zeros' }];
    case 'overwrite3':
      return [{ kind: 'random', salt: `pass1|${salt}` }, { kind: 'ones' }, { kind: 'zeros' }];
  }
}

function forwardedIn(layout: Layout): boolean {
  return layout.base.kind === 'original' && layout.base.forwarded === true;
}

function finalFill(method: EraseMethod, salt: string): Fill {
  const fills = passFills(method, salt);
  return fills[fills.length - 1]!;
}

import type { StoreKind } from '../../domain.js';

/**
 * Store content is generated in fixed blocks, each a pure function of (seed, store, block
 * index), so any byte range of a store of any size can be produced on demand and a 500 MB
 * journal never sits in memory. A block holds whole records only, like a flash page: the
 * space after the last record that fits is padding (spaces and LF in text stores, 0xFF,
 * erased flash, in record stores).
 */
export const BLOCK_SIZE = 4096;

export interface Block {
  bytes: Buffer;
  /** Offsets within the block just past each record, ascending (records are counted from these). */
  ends: number[];
}

/** What a store's generator may draw on besides its own PRNG. */
export interface ContentContext {
  seed: number;
  store: string;
  kind: StoreKind;
  serial: string;
  tid: string;
  mid: string;
  currency: string;
  vendor: string;
  model: string;
  /** Epoch ms of the store's first record; blocks advance from here. */
  epoch: number;
  /**
   * Keeps card data PCI DSS forbids: clear PANs and track data in batch, saf and journal
   * (the `noncompliant` simulator option), so the agent's PCI scanner has something to find.
   */
  noncompliant: boolean;
}

/** Fills a block with text lines from `nextLine` until the next one would not fit. */
export function textBlock(nextLine: () => string): Block {
  const bytes = Buffer.alloc(BLOCK_SIZE);
  const ends: number[] = [];
  let pos = 0;
  for (;;) {
    const line = nextLine();
    if (pos + line.length > BLOCK_SIZE) break;
    bytes.write(line, pos, 'latin1');
    pos += line.length;
    ends.push(pos);
  }
  if (pos < BLOCK_SIZE) {
    bytes.fill(0x20, pos, BLOCK_SIZE - 1);
    bytes[BLOCK_SIZE - 1] = 0x0a;
  }
  return { bytes, ends };
}

/** Fills a block with binary records from `nextRecord`; the tail stays 0xFF. */
export function recordBlock(nextRecord: () => Buffer): Block {
  const bytes = Buffer.alloc(BLOCK_SIZE, 0xff);
  const ends: number[] = [];
  let pos = 0;
  for (;;) {
    const record = nextRecord();
    if (pos + record.length > BLOCK_SIZE) break;
    record.copy(bytes, pos);
    pos += record.length;
    ends.push(pos);
  }
  return { bytes, ends };
}

export function pad(value: number | string, width: number, fill = '0'): string {
  return String(value).padStart(width, fill);
}

/** Minor units as a decimal amount, right-aligned: 1250 -> "   12.50". */
export function amountText(minor: number, width = 8): string {
  return `${Math.floor(minor / 100)}.${pad(minor % 100, 2)}`.padStart(width, ' ');
}

/** "2025-06-14 10:22:31" (UTC): terminals print local time without zone; UTC keeps tests stable. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

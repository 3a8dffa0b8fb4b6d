import { CONTEXT, findCardData, MAX_MATCH, type CardDataKind } from './patterns.js';
import { emptyReport, noteMatch, type PciReport } from './report.js';

/**
 * Watches a store's plaintext go by, in order and in pieces of any size, and counts the clear
 * card data in it (patterns.ts), in bounded memory: each piece is scanned together with the
 * last MAX_MATCH + CONTEXT bytes of the one before, so a PAN or a track cut by a chunk boundary
 * is found once, in whichever window first holds all of it.
 *
 *   push(offset, bytes): window = carry + bytes -> matches starting in [scannedTo, end - MAX_MATCH)
 *                        carry = the window's last MAX_MATCH + CONTEXT bytes
 *   finish():            the carry, to its real end -> the report
 *
 * Only counts and offsets leave it; the bytes it holds are dropped with it.
 */
export interface PlaintextInspector {
  /**
   * The store's bytes at `offset`, in order, each byte once (a backup's plaintext observer,
   * wipe/backup/store-backup.ts); the store read again from 0 starts the count afresh.
   */
  push(offset: number, bytes: Buffer): void;
}

export class PciScanner implements PlaintextInspector {
  private carry = Buffer.alloc(0);
  /** Store offset of carry[0]. */
  private carryAt = 0;
  /** Matches starting before this offset were counted already. */
  private scannedTo = 0;
  private report: PciReport = emptyReport();

  push(offset: number, bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (offset === 0 && this.carryAt + this.carry.length > 0) {
      // The store is read again from its start (a backup restarted): count it once, afresh.
      this.report = emptyReport();
      this.carry = Buffer.alloc(0);
      this.carryAt = 0;
      this.scannedTo = 0;
    } else if (offset !== this.carryAt + this.carry.length) {
      // Not the continuation (a caller that skipped ahead): close what we have, go on from there.
      this.scan(true);
      this.carry = Buffer.alloc(0);
      this.carryAt = offset;
      this.scannedTo = offset;
    }
    this.carry = this.carry.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.carry, bytes]);
    this.scan(false);
  }

  /** The counts so far, the tail included; the scanner can go on after it. */
  finish(): PciReport {
    this.scan(true);
    return structuredClone(this.report);
  }

  private scan(final: boolean): void {
    const window = this.carry;
    const limit = final ? window.length : Math.max(0, window.length - MAX_MATCH);
    const from = this.scannedTo - this.carryAt;
    if (limit <= from) return;
    for (const m of findCardData(window)) {
      if (m.start >= from && m.start < limit)
        noteMatch(this.report, m.kind as CardDataKind, this.carryAt + m.start);
    }
    this.report.scannedBytes = this.carryAt + window.length;
    this.scannedTo = this.carryAt + limit;
    const keep = Math.max(0, limit - CONTEXT);
    this.carry = Buffer.from(window.subarray(keep));
    this.carryAt += keep;
  }
}

import { CONTEXT, findCardData, MAX_MATCH, type CardDataKind } from './patterns.js';
import { emptyReport, MAX_OFFSETS, noteMatch, type PciReport } from './report.js';

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

export interface ScannerState {
  scannedTo: number;
  lookBackFrom: number;
  report: PciReport;
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

  /**
   * What a later run needs to go on at store offset `at` (a backup part boundary), holding no
   * byte of the store: the counts and offsets so far and how far the scan got. The bytes it still
   * holds (its look-back, at most MAX_MATCH + CONTEXT bytes before `at`) are not in it: the
   * caller gives them back, from a sealed copy or read again, by push(lookBackFrom, ...).
   */
  checkpoint(at: number): { state: ScannerState; lookBackFrom: number } | undefined {
    if (this.carryAt + this.carry.length !== at) return undefined;
    const state = {
      scannedTo: this.scannedTo,
      lookBackFrom: this.carryAt,
      report: structuredClone(this.report),
    };
    return { state, lookBackFrom: this.carryAt };
  }

  /** Goes on from a checkpoint(); false (and nothing changed) for a state that is not one. */
  restore(saved: unknown): boolean {
    if (!isScannerState(saved)) return false;
    this.report = reportFrom(saved.report);
    this.scannedTo = saved.scannedTo;
    this.carryAt = saved.lookBackFrom;
    this.carry = Buffer.alloc(0);
    return true;
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

const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const offsets = (o: unknown): boolean => Array.isArray(o) && o.length <= MAX_OFFSETS && o.every(count);

function isScannerState(x: unknown): x is ScannerState {
  const s = x as Partial<ScannerState> | null;
  const r = s?.report as Partial<PciReport> | undefined;
  const pan = r?.clearPan;
  const track = r?.trackData;
  return (
    typeof s === 'object' &&
    s !== null &&
    count(s.scannedTo) &&
    count(s.lookBackFrom) &&
    s.lookBackFrom <= s.scannedTo &&
    s.scannedTo - s.lookBackFrom <= MAX_MATCH + CONTEXT &&
    count(r?.scannedBytes) &&
    [
      pan?.count,
      pan?.ascii,
      pan?.bcd,
      track?.count,
      track?.track1,
      track?.track2Ascii,
      track?.track2Bcd,
    ].every(count) &&
    offsets(pan?.offsets) &&
    offsets(track?.offsets)
  );
}

/** Only the fields a report has (a state read from disk may carry more). */
function reportFrom(r: PciReport): PciReport {
  const { clearPan: p, trackData: t } = r;
  return {
    scannedBytes: r.scannedBytes,
    clearPan: { count: p.count, ascii: p.ascii, bcd: p.bcd, offsets: [...p.offsets] },
    trackData: {
      count: t.count,
      track1: t.track1,
      track2Ascii: t.track2Ascii,
      track2Bcd: t.track2Bcd,
      offsets: [...t.offsets],
    },
  };
}

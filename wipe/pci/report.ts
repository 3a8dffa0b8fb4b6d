import type { CardDataKind } from './patterns.js';

/**
 * What the PCI scan of one store found: counts and byte offsets only, never a digit of what
 * was found. The offsets are bounded (the first MAX_OFFSETS of each kind) so a store full of
 * card data makes a short report. Clauses (PCI DSS v4.0):
 *   3.3.1   sensitive authentication data (full track data) is not kept after authorization
 *   3.4     / 3.5.1  the PAN is masked when shown and unreadable wherever it is stored
 */
export const MAX_OFFSETS = 16;

export interface Occurrences {
  count: number;
  /** Byte offsets in the store of the first MAX_OFFSETS occurrences. */
  offsets: number[];
}

export interface PciReport {
  scannedBytes: number;
  /** Clear PANs outside track data, in ASCII and in packed BCD (EMV tag 5A). */
  clearPan: Occurrences & { ascii: number; bcd: number };
  /** Track 1 and 2 data: ASCII tracks and EMV tag 57 (track 2 equivalent) in packed BCD. */
  trackData: Occurrences & { track1: number; track2Ascii: number; track2Bcd: number };
}

export interface PciFinding {
  clauses: string[];
  /** One line for the certificate note and the technician. */
  summary: string;
}

export function emptyReport(): PciReport {
  return {
    scannedBytes: 0,
    clearPan: { count: 0, ascii: 0, bcd: 0, offsets: [] },
    trackData: { count: 0, track1: 0, track2Ascii: 0, track2Bcd: 0, offsets: [] },
  };
}

export function noteMatch(r: PciReport, kind: CardDataKind, offset: number): void {
  const into = kind === 'pan-ascii' || kind === 'pan-bcd' ? r.clearPan : r.trackData;
  into.count++;
  if (into.offsets.length < MAX_OFFSETS) into.offsets.push(offset);
  if (kind === 'pan-ascii') r.clearPan.ascii++;
  else if (kind === 'pan-bcd') r.clearPan.bcd++;
  else if (kind === 'track1') r.trackData.track1++;
  else if (kind === 'track2-ascii') r.trackData.track2Ascii++;
  else r.trackData.track2Bcd++;
}

/** The finding a report makes, or undefined for a clean store. */
export function pciFinding(r: PciReport): PciFinding | undefined {
  const clauses: string[] = [];
  const parts: string[] = [];
  if (r.trackData.count > 0) {
    clauses.push('3.3.1');
    parts.push(
      `PCI DSS 3.3.1: ${r.trackData.count} track data records (sensitive authentication data kept after authorization)`,
    );
  }
  if (r.clearPan.count > 0) {
    clauses.push('3.4', '3.5.1');
    parts.push(
      `PCI DSS 3.4/3.5.1: ${r.clearPan.count} clear PANs (${r.clearPan.ascii} ASCII, ${r.clearPan.bcd} BCD)`,
    );
  }
  return clauses.length === 0 ? undefined : { clauses, summary: parts.join('; ') };
}

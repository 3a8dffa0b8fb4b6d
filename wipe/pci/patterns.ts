import { luhnValid } from '../../protocol/card-digits.js';
/**
 * What clear card data looks like in a terminal's store (PCI DSS 3.3.1 and 3.4):
 *
 *   ascii pan     13-19 digits, alone or in groups (4-4-4-4, 4-6-5 Amex) split by one space or dash
 *   track 1       %B PAN ^ NAME ^ YYMM SSS [discretionary] ?   (ISO/IEC 7813 format B)
 *   ascii track 2 ;PAN=YYMM SSS [discretionary] ?   (also PAN D YYMM ... as EMV tag 57 in hex text)
 *   bcd pan       EMV tag 5A: 5A len PAN[F], packed BCD
 *   bcd track 2   EMV tag 57: 57 len PAN D YYMM SSS ... [F], packed BCD
 *
 * A PAN must start with a payment-card major industry digit (2-6) and pass the Luhn check; a
 * track must carry a valid expiry month. Packed BCD is only recognised behind its EMV tag and a
 * length that fits: raw BCD digits are too common in random bytes (encrypted blobs, crypto-erased
 * flash) to be told apart from a PAN. Matches are ranges, never values: callers count them or
 * blank them, and nothing here keeps a digit.
 */
export type CardDataKind = 'pan-ascii' | 'pan-bcd' | 'track1' | 'track2-ascii' | 'track2-bcd';

export interface CardDataMatch {
  kind: CardDataKind;
  start: number;
  end: number;
}

/** Longest match any pattern can make, in bytes: a window this far from its end is complete. */
export const MAX_MATCH = 128;
/** Bytes before a match the patterns look at (digit boundaries, separators). */
export const CONTEXT = 8;

export { luhnValid };

function isPan(digits: string): boolean {
  return /^[2-6]\d{12,18}$/.test(digits) && luhnValid(digits);
}

const PAN = /(?<![0-9])[2-6][0-9]{12,18}(?![0-9])/g;
const GROUPED =
  /(?<![0-9][ -]?)(?:[2-6][0-9]{3}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}|3[47][0-9]{2}([ -])[0-9]{6}\2[0-9]{5})(?![ -]?[0-9])/g;
// Name and discretionary data: printable, no field separator (^) or end sentinel (?).
const TRACK1 =
  /%?B([0-9]{13,19})\^[\x20-\x5d\x5f-\x7e]{2,26}\^[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{3}[\x20-\x3e\x40-\x7e]{0,40}\??/g;
const TRACK2 = /(?<![0-9]);?([0-9]{13,19})[=D][0-9]{2}(?:0[1-9]|1[0-2])[0-9]{3}[0-9]{0,24}F?\??/g;

/** Every match in `bytes`, sorted by start; a PAN inside a track is part of the track, not its own. */
export function findCardData(bytes: Buffer): CardDataMatch[] {
  const text = bytes.toString('latin1');
  const tracks: CardDataMatch[] = [];
  for (const [re, kind] of [
    [TRACK1, 'track1'],
    [TRACK2, 'track2-ascii'],
  ] as const) {
    for (const m of text.matchAll(re)) {
      if (isPan(m[1]!)) tracks.push({ kind, start: m.index, end: m.index + m[0].length });
    }
  }
  const inTrack = (at: number) => tracks.some((t) => at >= t.start && at < t.end);
  const pans: CardDataMatch[] = [];
  for (const re of [PAN, GROUPED]) {
    for (const m of text.matchAll(re)) {
      const start = m.index;
      if (!inTrack(start) && isPan(m[0].replace(/[ -]/g, ''))) {
        pans.push({ kind: 'pan-ascii', start, end: start + m[0].length });
      }
    }
  }
  return [...tracks, ...pans, ...findBcd(bytes)].sort((a, b) => a.start - b.start || a.end - b.end);
}

/** EMV tags 5A and 57 in packed BCD. */
function findBcd(bytes: Buffer): CardDataMatch[] {
  const found: CardDataMatch[] = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    const tag = bytes[i];
    if (tag !== 0x5a && tag !== 0x57) continue;
    const length = bytes[i + 1]!;
    if (length < 7 || length > 19 || i + 2 + length > bytes.length) continue;
    const nibbles = bytes.toString('hex', i + 2, i + 2 + length);
    if (tag === 0x5a ? panValue(nibbles) : track2Value(nibbles)) {
      found.push({ kind: tag === 0x5a ? 'pan-bcd' : 'track2-bcd', start: i, end: i + 2 + length });
    }
  }
  return found;
}

function panValue(nibbles: string): boolean {
  const digits = nibbles.endsWith('f') ? nibbles.slice(0, -1) : nibbles;
  return /^\d+$/.test(digits) && isPan(digits);
}

function track2Value(nibbles: string): boolean {
  const m = /^(\d{13,19})d(\d{2})(0[1-9]|1[0-2])\d{3}\d*f?$/.exec(nibbles);
  return m !== null && isPan(m[1]!);
}

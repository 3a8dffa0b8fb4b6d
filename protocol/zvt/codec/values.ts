import { bmpDef } from './bmp-table.js';
import { findBmp, type Bmp } from './bmp.js';
import type { CardData } from './card-data.js';
import { bcdToNumber, decodeText, hex, numberToBcd } from './encoding.js';
import { prefixField, type Message } from './message.js';
import type { TlvNode } from './tlv.js';

/**
 * What a BMP's bytes mean, read by the BMP table: numbers for BCD and binary fields, text,
 * card data (masked on every rendering), TLV nodes, single totals. Bytes that do not read as
 * their type (a BCD field with hex nibbles) come back as `{ hex }`: never a guess.
 */
export type BmpValue =
  number | string | CardData | TlvNode[] | SingleTotals | { hex: string } | { marker: 'none' };

export interface SingleTotals {
  receiptFrom: number | null;
  receiptTo: number | null;
  groups: { name: CardGroup; count: number; total: number | null }[];
}

/** The order BMP 60 lists its totals in (PA00P015 3.1.x, End-of-Day status information). */
export const CARD_GROUPS = ['girocard', 'jcb', 'eurocard', 'amex', 'visa', 'diners', 'others'] as const;
export type CardGroup = (typeof CARD_GROUPS)[number];
const SINGLE_TOTALS_BYTES = 4 + CARD_GROUPS.length * 7;

export function bmpValue(bmp: Bmp): BmpValue {
  switch (bmp.kind) {
    case 'card':
      return bmp.card;
    case 'tlv':
      return bmp.nodes;
    case 'tlv-raw':
      return { hex: hex(bmp.bytes) };
    case 'plain':
      return plainValue(bmp.id, bmp.bytes);
  }
}

function plainValue(id: number, bytes: Buffer): BmpValue {
  switch (bmpDef(id)?.value) {
    case 'bcd':
      return bcdToNumber(bytes) ?? { hex: hex(bytes) };
    case 'binary':
      return bytes.length <= 6 && bytes.length > 0 ? bytes.readUIntBE(0, bytes.length) : { hex: hex(bytes) };
    case 'text':
      return decodeText(bytes);
    case 'single-totals':
      return decodeSingleTotals(bytes) ?? { hex: hex(bytes) };
    case 'receipt-no':
      // FF FF is "no receipt number" (PA00P015 2.10.1), not BCD.
      return bytes.equals(Buffer.from([0xff, 0xff]))
        ? { marker: 'none' }
        : (bcdToNumber(bytes) ?? { hex: hex(bytes) });
    default:
      return { hex: hex(bytes) };
  }
}

export function decodeSingleTotals(bytes: Buffer): SingleTotals | undefined {
  if (bytes.length !== SINGLE_TOTALS_BYTES) return undefined;
  return {
    receiptFrom: bcdToNumber(bytes.subarray(0, 2)),
    receiptTo: bcdToNumber(bytes.subarray(2, 4)),
    groups: CARD_GROUPS.map((name, i) => {
      const at = 4 + i * 7;
      return { name, count: bytes[at] ?? 0, total: bcdToNumber(bytes.subarray(at + 1, at + 7)) };
    }),
  };
}

export function encodeSingleTotals(t: {
  receiptFrom: number;
  receiptTo: number;
  groups: Partial<Record<CardGroup, { count: number; total: number }>>;
}): Buffer {
  return Buffer.concat([
    numberToBcd(t.receiptFrom, 2),
    numberToBcd(t.receiptTo, 2),
    ...CARD_GROUPS.map((g) => {
      const v = t.groups[g] ?? { count: 0, total: 0 };
      return Buffer.concat([Buffer.from([Math.min(255, v.count)]), numberToBcd(v.total, 6)]);
    }),
  ]);
}

/** A BMP as a number (BCD or binary), or undefined when absent or not numeric. */
export function bmpNumber(m: Pick<Message, 'bmps'>, id: number): number | undefined {
  const b = findBmp(m.bmps, id);
  const v = b ? bmpValue(b) : undefined;
  return typeof v === 'number' ? v : undefined;
}

export function bmpText(m: Pick<Message, 'bmps'>, id: number): string | undefined {
  const b = findBmp(m.bmps, id);
  const v = b ? bmpValue(b) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** The TLV nodes of BMP 06, or [] when there is none (or it did not parse). */
export function tlvOf(m: Pick<Message, 'bmps'>): TlvNode[] {
  const b = findBmp(m.bmps, 0x06);
  return b?.kind === 'tlv' ? b.nodes : [];
}

/** The result code: the untagged byte of 06 1E, or BMP 27. */
export function resultCodeOf(m: Message): number | undefined {
  const prefixed = prefixField(m, 'resultCode');
  if (prefixed) return prefixed[0];
  return bmpNumber(m, 0x27);
}

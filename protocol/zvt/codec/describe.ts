import { bmpDef } from './bmp-table.js';
import type { Bmp } from './bmp.js';
import { CardData, scrubDigits } from './card-data.js';
import { bcdToNumber, decodeText, hex, hex2, trimNul } from './encoding.js';
import { encodeData, type Message, type PrefixField } from './message.js';
import { apduName } from './prefixes.js';
import { bmpValue, type BmpValue } from './values.js';
import type { TlvNode } from './tlv.js';
import { tagName } from './tlv.js';

/**
 * The only way a decoded frame leaves the codec for people and files (logs, journal, transcript,
 * certificate, progress display): plain JSON values, card data as its masked form, the password
 * as asterisks, and any free text or hex that could hold a card number scrubbed of digit runs.
 */
export type Described = string | number | null | Described[] | { [key: string]: Described };

export interface DescribedMessage {
  apdu: string;
  name: string;
  dataLength: number;
  prefix?: Record<string, Described>;
  bmps?: { bmp: string; name: string; value: Described }[];
  opaque?: { bytes: number; hex: string };
}

export function describeMessage(m: Message): DescribedMessage {
  const out: DescribedMessage = {
    apdu: `${hex2(m.cls)} ${hex2(m.instr)}`,
    name: apduName(m.cls, m.instr),
    dataLength: encodeData(m).length,
  };
  if (m.prefix.length > 0) out.prefix = Object.fromEntries(m.prefix.map((f) => [f.name, describePrefix(f)]));
  if (m.bmps.length > 0) out.bmps = m.bmps.map(describeBmp);
  if (m.rest && m.rest.length > 0) out.opaque = { bytes: m.rest.length, hex: scrubDigits(hex(m.rest)) };
  return out;
}

function describePrefix(f: PrefixField): Described {
  switch (f.name) {
    case 'password':
      return '******';
    case 'text':
    case 'swVersion':
      return scrubDigits(trimNul(decodeText(f.bytes)));
    case 'currency':
    case 'timeout':
      return bcdToNumber(f.bytes) ?? scrubDigits(hex(f.bytes));
    default:
      return f.bytes.length === 1 ? (f.bytes[0] ?? 0) : scrubDigits(hex(f.bytes));
  }
}

function describeBmp(b: Bmp): { bmp: string; name: string; value: Described } {
  return { bmp: hex2(b.id), name: bmpDef(b.id)?.name ?? 'unknown', value: describeValue(bmpValue(b)) };
}

function describeValue(v: BmpValue): Described {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return scrubDigits(trimNul(v));
  if (v instanceof CardData) return v.masked;
  if (Array.isArray(v)) return v.map(describeTlv);
  if ('hex' in v) return scrubDigits(v.hex);
  if ('marker' in v) return v.marker;
  return {
    receiptFrom: v.receiptFrom,
    receiptTo: v.receiptTo,
    groups: v.groups.map((g) => ({ name: g.name, count: g.count, total: g.total })),
  };
}

export function describeTlv(node: TlvNode): Described {
  const tag = tagName(node);
  switch (node.content.kind) {
    case 'card':
      return { tag, value: node.content.card.masked };
    case 'nodes':
      return { tag, children: node.content.nodes.map(describeTlv) };
    case 'raw':
      return { tag, value: tlvRaw(node.tag, node.content.bytes) };
  }
}

/** How the ZVT data objects we meet read (PA00P015 ch. 9); other tags are shown as text or hex. */
const TLV_TYPES: ReadonlyMap<number, 'text' | 'bcd' | 'uint'> = new Map([
  [0x07, 'text'],
  [0x09, 'uint'],
  [0x1d, 'uint'],
  [0x1e, 'uint'],
  [0x1f00, 'uint'],
  [0x1f07, 'uint'],
  [0x1f0b, 'bcd'],
  [0x1f0e, 'bcd'],
  [0x1f0f, 'bcd'],
  [0x1f40, 'text'],
  [0x1f41, 'text'],
  [0x1f43, 'uint'],
  [0x1f44, 'bcd'],
  [0x1f4c, 'uint'],
  [0x1f50, 'uint'],
  [0x1f62, 'text'],
  [0x1f63, 'text'],
]);

/** Raw values longer than this (file blocks) are summarised, not dumped. */
const SHOWN_BYTES = 64;

function tlvRaw(tag: number, bytes: Buffer): Described {
  const type = TLV_TYPES.get(tag);
  if (type === 'uint' && bytes.length >= 1 && bytes.length <= 6) return bytes.readUIntBE(0, bytes.length);
  if (type === 'bcd') {
    const n = bcdToNumber(bytes);
    if (n !== null) return n;
  }
  if (bytes.length > SHOWN_BYTES) return `[${bytes.length} bytes]`;
  const body = trimNul(bytes.toString('latin1'));
  const printable = body.length >= 4 && /^[\x20-\x7e\r\n]*$/.test(body);
  return scrubDigits(type === 'text' || printable ? decodeText(Buffer.from(body, 'latin1')) : hex(bytes));
}

/** One line for a log or progress display: `04 0F status-information 27=0 04=2500 22=559883EEEEEE8074`. */
export function renderMessage(m: Message): string {
  const d = describeMessage(m);
  const parts = [d.apdu, d.name];
  for (const [k, v] of Object.entries(d.prefix ?? {})) parts.push(`${k}=${flat(v)}`);
  for (const b of d.bmps ?? []) parts.push(`${b.bmp}=${flat(b.value)}`);
  if (d.opaque) parts.push(`opaque(${d.opaque.bytes})=${d.opaque.hex}`);
  return parts.join(' ');
}

function flat(v: Described): string {
  return JSON.stringify(v);
}

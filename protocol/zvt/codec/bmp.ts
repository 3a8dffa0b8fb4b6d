import { bmpDef, type BmpDef } from './bmp-table.js';
import { CardData, cardBytesForEncode } from './card-data.js';
import { encodeVarLength, readVarLength } from './encoding.js';
import { encodeBerLength, encodeTlvList, parseTlvList, readBerLength, type TlvNode } from './tlv.js';

/**
 * A sequence of BMPs, decoded losslessly: each BMP keeps the bytes it was sent with (or, for
 * card data, a CardData that keeps them out of sight), and BMP 06 keeps its length form.
 * Parsing stops at the first byte that is not a known BMP or at a value that overruns the data;
 * the caller keeps whatever follows as opaque bytes.
 */
export type Bmp =
  | { id: number; kind: 'plain'; bytes: Buffer }
  | { id: number; kind: 'card'; card: CardData }
  | { id: number; kind: 'tlv'; lengthBytes: number; nodes: TlvNode[] }
  /** A BMP 06 whose content is not TLV: kept as it came. */
  | { id: number; kind: 'tlv-raw'; lengthBytes: number; bytes: Buffer };

export interface BmpParse {
  bmps: Bmp[];
  /** Where parsing stopped; equals data.length when every byte was a BMP. */
  end: number;
}

export function parseBmps(data: Buffer, start = 0): BmpParse {
  const bmps: Bmp[] = [];
  let at = start;
  while (at < data.length) {
    const one = parseBmp(data, at);
    if (!one) break;
    bmps.push(one.bmp);
    at = one.next;
  }
  return { bmps, end: at };
}

function parseBmp(data: Buffer, at: number): { bmp: Bmp; next: number } | undefined {
  const id = data[at];
  const def = id === undefined ? undefined : bmpDef(id);
  if (id === undefined || !def) return undefined;
  const body = at + 1;
  if (def.length.kind === 'tlv') {
    const len = readBerLength(data, body);
    if (!len) return undefined;
    const from = body + len.lengthBytes;
    const to = from + len.length;
    if (to > data.length) return undefined;
    const content = data.subarray(from, to);
    const nodes = parseTlvList(content);
    const bmp: Bmp =
      nodes && encodeTlvList(nodes).equals(content)
        ? { id, kind: 'tlv', lengthBytes: len.lengthBytes, nodes }
        : { id, kind: 'tlv-raw', lengthBytes: len.lengthBytes, bytes: Buffer.from(content) };
    return { bmp, next: to };
  }
  let from = body;
  let size: number;
  if (def.length.kind === 'fixed') {
    size = def.length.size;
  } else {
    const digits = def.length.kind === 'll' ? 2 : 3;
    const len = readVarLength(data, body, digits);
    if (len === undefined) return undefined;
    size = len;
    from = body + digits;
  }
  if (from + size > data.length) return undefined;
  return { bmp: valueBmp(def, data.subarray(from, from + size)), next: from + size };
}

function valueBmp(def: BmpDef, bytes: Buffer): Bmp {
  if (def.value === 'pan' || def.value === 'track2' || def.value === 'secret') {
    return { id: def.id, kind: 'card', card: new CardData(def.value, bytes) };
  }
  return { id: def.id, kind: 'plain', bytes: Buffer.from(bytes) };
}

/** The value bytes as they go on the wire (for card data: only for the encoder). */
function valueBytes(bmp: Bmp): Buffer {
  switch (bmp.kind) {
    case 'plain':
    case 'tlv-raw':
      return bmp.bytes;
    case 'card':
      return cardBytesForEncode(bmp.card);
    case 'tlv':
      return encodeTlvList(bmp.nodes);
  }
}

export function encodeBmp(bmp: Bmp): Buffer {
  const def = bmpDef(bmp.id);
  if (!def) throw new RangeError(`BMP ${bmp.id.toString(16)} is not in the BMP table`);
  const value = valueBytes(bmp);
  const id = Buffer.from([bmp.id]);
  switch (def.length.kind) {
    case 'tlv':
      return Buffer.concat([
        id,
        encodeBerLength(value.length, 'lengthBytes' in bmp ? bmp.lengthBytes : 0),
        value,
      ]);
    case 'fixed':
      if (value.length !== def.length.size) {
        throw new RangeError(`BMP ${def.name} takes ${def.length.size} bytes, not ${value.length}`);
      }
      return Buffer.concat([id, value]);
    case 'll':
      return Buffer.concat([id, encodeVarLength(value.length, 2), value]);
    case 'lll':
      return Buffer.concat([id, encodeVarLength(value.length, 3), value]);
  }
}

export function encodeBmps(bmps: readonly Bmp[]): Buffer {
  return Buffer.concat(bmps.map(encodeBmp));
}

/** Builders for composed messages. */
export function plainBmp(id: number, bytes: Buffer): Bmp {
  const def = bmpDef(id);
  if (!def) throw new RangeError(`BMP ${id.toString(16)} is not in the BMP table`);
  return valueBmp(def, bytes);
}

export function tlvBmp(nodes: TlvNode[]): Bmp {
  return { id: 0x06, kind: 'tlv', lengthBytes: 0, nodes };
}

export function findBmp(bmps: readonly Bmp[], id: number): Bmp | undefined {
  return bmps.find((b) => b.id === id);
}

import { encodeApdu, parseApdu } from './apdu.js';
import { hideBytes } from './card-data.js';
import { encodeBmps, parseBmps, type Bmp } from './bmp.js';
import { encodeVarLength, readVarLength } from './encoding.js';
import {
  chooseLayout,
  type DecodeContext,
  type Layout,
  type PrefixName,
  type PrefixPart,
} from './prefixes.js';

/**
 * A decoded APDU: its untagged prefix fields, its BMPs, and whatever could not be decoded kept
 * as opaque bytes. encodeMessage(decodeMessage(x)) === x for every APDU x, whatever its content:
 * nothing is normalised, nothing is dropped.
 *
 *   bytes --parseApdu--> CLASS INSTR LEN DATA --chooseLayout--> prefix readings
 *         --first reading that accounts for every byte--> { prefix, bmps, rest }
 */
export interface PrefixField {
  name: PrefixName;
  /** The value; for an LLLVAR field without its Fx Fy Fz prefix. */
  bytes: Buffer;
}

export interface Message {
  cls: number;
  instr: number;
  extended: boolean;
  layout: Layout;
  prefix: PrefixField[];
  bmps: Bmp[];
  /** Bytes after the last decodable field (all of the data for an opaque frame). */
  rest: Buffer | undefined;
}

export type DecodeResult = { ok: true; message: Message } | { ok: false; reason: string };

export function decodeMessage(bytes: Buffer, ctx: DecodeContext = {}): DecodeResult {
  const parsed = parseApdu(bytes);
  if (!parsed.ok) return parsed;
  const { cls, instr, data, extended } = parsed.apdu;
  const choice = chooseLayout(cls, instr, data, ctx);
  const base = { cls, instr, extended, layout: choice.layout };
  if (choice.layout === 'opaque') return { ok: true, message: { ...base, prefix: [], bmps: [], rest: data } };
  let best: { prefix: PrefixField[]; bmps: Bmp[]; end: number } | undefined;
  for (const reading of choice.readings) {
    const prefix = readPrefix(data, reading);
    if (!prefix) continue;
    const { bmps, end } =
      choice.layout === 'print-line' ? { bmps: [], end: data.length } : parseBmps(data, prefix.end);
    if (end === data.length) {
      return { ok: true, message: { ...base, prefix: prefix.fields, bmps, rest: undefined } };
    }
    if (!best || end > best.end) best = { prefix: prefix.fields, bmps, end };
  }
  if (!best) return { ok: true, message: { ...base, layout: 'opaque', prefix: [], bmps: [], rest: data } };
  return {
    ok: true,
    message: { ...base, prefix: best.prefix, bmps: best.bmps, rest: data.subarray(best.end) },
  };
}

function readPrefix(data: Buffer, parts: PrefixPart[]): { fields: PrefixField[]; end: number } | undefined {
  const fields: PrefixField[] = [];
  let at = 0;
  for (const part of parts) {
    if ('size' in part) {
      if (at + part.size > data.length) return undefined;
      const bytes = Buffer.from(data.subarray(at, at + part.size));
      fields.push({ name: part.name, bytes: part.name === 'password' ? hideBytes(bytes) : bytes });
      at += part.size;
    } else if ('lll' in part) {
      const length = readVarLength(data, at, 3);
      if (length === undefined || at + 3 + length > data.length) return undefined;
      fields.push({ name: part.name, bytes: data.subarray(at + 3, at + 3 + length) });
      at += 3 + length;
    } else {
      fields.push({ name: part.name, bytes: data.subarray(at) });
      at = data.length;
    }
  }
  return { fields, end: at };
}

export function encodeData(m: Pick<Message, 'prefix' | 'bmps' | 'rest'>): Buffer {
  const parts: Buffer[] = [];
  for (const f of m.prefix) {
    if (f.name === 'swVersion') parts.push(encodeVarLength(f.bytes.length, 3));
    parts.push(f.bytes);
  }
  parts.push(encodeBmps(m.bmps));
  if (m.rest) parts.push(m.rest);
  return Buffer.concat(parts);
}

export function encodeMessage(m: Message): Buffer {
  return encodeApdu(m.cls, m.instr, encodeData(m), m.extended);
}

export function prefixField(m: Message, name: PrefixName): Buffer | undefined {
  return m.prefix.find((f) => f.name === name)?.bytes;
}

/** Composes a message: prefix fields in order, then BMPs. */
export function composeMessage(
  cls: number,
  instr: number,
  prefix: PrefixField[] = [],
  bmps: Bmp[] = [],
  layout: Layout = 'bmp',
): Message {
  return { cls, instr, extended: false, layout, prefix, bmps, rest: undefined };
}

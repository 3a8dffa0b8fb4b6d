import { findBmp } from '../codec/bmp.js';
import { decodeText, nibbles, trimNul } from '../codec/encoding.js';
import { prefixField, type Message } from '../codec/message.js';
import { childrenOf, findPath, rawValue, type TlvNode } from '../codec/tlv.js';
import { bmpNumber, bmpValue, tlvOf, type SingleTotals } from '../codec/values.js';

/**
 * Typed values out of the terminal's messages: what each command's completion or status
 * information says, in the domain's words. Layouts: README.md "Byte layouts".
 */
export interface RegistrationInfo {
  /** BMP 29 as 8 digits; absent when the terminal has no terminal-ID. */
  tid?: string;
  statusByte?: number;
  currency?: number;
}

export function registrationInfo(completion: Message): RegistrationInfo {
  const info: RegistrationInfo = {};
  const tid = findBmp(completion.bmps, 0x29);
  if (tid?.kind === 'plain') info.tid = nibbles(tid.bytes);
  const status = bmpNumber(completion, 0x19);
  if (status !== undefined) info.statusByte = status;
  const currency = bmpNumber(completion, 0x49);
  if (currency !== undefined) info.currency = currency;
  return info;
}

export interface StatusEnquiryInfo {
  swVersion?: string;
  terminalStatus?: number;
  /** TLV 1F44; absent when the terminal reports no terminal-ID. */
  tid?: string;
  deviceName?: string;
  deviceSwVersion?: string;
  /** TLV 1F42 as upper-case hex (the spec says BCD; real terminals send raw bytes). */
  serial?: string;
  deviceState?: number;
  /** TLV 34 { 1F0E YYYYMMDD, 1F0F HHMMSS } as an ISO local date-time. */
  dateTime?: string;
}

export function statusEnquiryInfo(completion: Message): StatusEnquiryInfo {
  const info: StatusEnquiryInfo = {};
  const sw = prefixField(completion, 'swVersion');
  if (sw) info.swVersion = trimNul(decodeText(sw));
  const status = prefixField(completion, 'terminalStatus');
  if (status) info.terminalStatus = status[0] ?? 0;
  const nodes = tlvOf(completion);
  const text = (path: number[]) => {
    const b = bytesAt(nodes, path);
    return b ? trimNul(decodeText(b)) : undefined;
  };
  const tid = bytesAt(nodes, [0x1f44]);
  if (tid) info.tid = nibbles(tid);
  const name = text([0xe4, 0x1f40]);
  if (name) info.deviceName = name;
  const devSw = text([0xe4, 0x1f41]);
  if (devSw) info.deviceSwVersion = devSw;
  const serial = bytesAt(nodes, [0xe4, 0x1f42]);
  if (serial) info.serial = nibbles(serial);
  const state = bytesAt(nodes, [0xe4, 0x1f43]);
  if (state && state.length === 1) info.deviceState = state[0] ?? 0;
  const date = bytesAt(nodes, [0x34, 0x1f0e]);
  const time = bytesAt(nodes, [0x34, 0x1f0f]);
  if (date && time && /^\d{14}$/.test(nibbles(date) + nibbles(time))) {
    const d = nibbles(date);
    const t = nibbles(time);
    info.dateTime = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}`;
  }
  return info;
}

function bytesAt(nodes: TlvNode[], path: number[]): Buffer | undefined {
  const node = findPath(nodes, path);
  return node ? rawValue(node) : undefined;
}

/** Turnover totals from status information (End-of-Day, Send Turnover Totals). */
export interface Totals {
  /** BMP 04: the total in minor units. */
  amount?: number;
  currency?: number;
  traceNumber?: number;
  /** BMP 0D MMDD and 0C HHMMSS, as the terminal sent them. */
  date?: number;
  time?: number;
  /** BMP 60: counts and totals per card group, and the receipt-number range. */
  singleTotals?: SingleTotals;
}

export function totalsFrom(statusInformation: Message[]): Totals | undefined {
  const m = statusInformation.find((s) => findBmp(s.bmps, 0x04) || findBmp(s.bmps, 0x60));
  if (!m) return undefined;
  const totals: Totals = {};
  const put = (key: 'amount' | 'currency' | 'traceNumber' | 'date' | 'time', id: number) => {
    const v = bmpNumber(m, id);
    if (v !== undefined) totals[key] = v;
  };
  put('amount', 0x04);
  put('currency', 0x49);
  put('traceNumber', 0x0b);
  put('date', 0x0d);
  put('time', 0x0c);
  const single = findBmp(m.bmps, 0x60);
  const v = single ? bmpValue(single) : undefined;
  if (v && typeof v === 'object' && 'groups' in v) totals.singleTotals = v;
  return totals;
}

/** Abort 06 1E may name the open pre-authorisation's receipt (BMP 87; FF FF = none). */
export function abortReceipt(abort: Message): number | 'none' | undefined {
  const b = findBmp(abort.bmps, 0x87);
  const v = b ? bmpValue(b) : undefined;
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'marker' in v) return 'none';
  return undefined;
}

/** A Read File block: status information with TLV 2D { 1D id, 1E offset, 1F00 size, 1C data }. */
export interface FileBlock {
  fileId: number;
  offset: number;
  size: number;
  data: Buffer;
}

export function fileBlockOf(m: Message): FileBlock | undefined {
  const file = findPath(tlvOf(m), [0x2d]);
  if (!file) return undefined;
  const kids = childrenOf(file);
  const get = (tag: number) => {
    const n = kids.find((k) => k.tag === tag);
    return n ? rawValue(n) : undefined;
  };
  const id = get(0x1d);
  const offset = get(0x1e);
  const size = get(0x1f00);
  const data = get(0x1c);
  if (!id || id.length !== 1 || !offset || !size || !data) return undefined;
  if (offset.length < 1 || offset.length > 6 || size.length < 1 || size.length > 6) return undefined;
  return {
    fileId: id[0] ?? 0,
    offset: offset.readUIntBE(0, offset.length),
    size: size.readUIntBE(0, size.length),
    data,
  };
}

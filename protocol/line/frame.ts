import { crc32 } from 'node:zlib';

/**
 * One frame is one line (SPEC.md s.2):
 *
 *   SEQ SP KIND SP TYPE SP HEADER [HT DATA] "*" CRC LF
 *
 * SEQ is 4 upper-case hex digits, KIND one of Q R E X, TYPE an upper-case word,
 * HEADER compact JSON (no raw HT), DATA the encoded payload, CRC the CRC-32 of every
 * byte before the "*", as 8 upper-case hex digits. We send upper case and accept either
 * (s.2.1 in 1.1: a receiver is liberal in hex case).
 */
export type FrameKind = 'Q' | 'R' | 'E' | 'X';

export interface Frame {
  seq: number;
  kind: FrameKind;
  type: string;
  header: Record<string, unknown>;
  /** Encoded payload bytes exactly as on the wire (decode with payload.ts). */
  data?: Buffer;
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: string; seq?: number };

const HT = 0x09;
const STAR = 0x2a;
const TYPE_PATTERN = /^[A-Z][A-Z0-9_]{0,23}$/;
const SEQ_PATTERN = /^[0-9A-Fa-f]{4}$/;
const CRC_PATTERN = /^[0-9A-Fa-f]{8}$/;
export const SEQ_MODULO = 0x10000;

export function formatSeq(seq: number): string {
  return (seq & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

function crcHex(bytes: Buffer): string {
  return (crc32(bytes) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** JSON.stringify escapes every control character, so a header never holds a raw HT or LF. */
function headerText(header: Record<string, unknown>, sevenBit: boolean): string {
  const text = JSON.stringify(header);
  return sevenBit
    ? text.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
    : text;
}

/** Encodes a frame to its line, LF included. */
export function encodeFrame(frame: Frame, sevenBit = true): Buffer {
  const head = `${formatSeq(frame.seq)} ${frame.kind} ${frame.type} ${headerText(frame.header, sevenBit)}`;
  const parts: Buffer[] = [Buffer.from(head, sevenBit ? 'latin1' : 'utf8')];
  if (frame.data) parts.push(Buffer.of(HT), frame.data);
  const body = Buffer.concat(parts);
  return Buffer.concat([body, Buffer.from(`*${crcHex(body)}\n`, 'latin1')]);
}

/** Decodes one line (without its LF; a trailing CR is tolerated). Never throws. */
export function decodeFrame(line: Buffer): DecodeResult {
  let end = line.length;
  if (end > 0 && line[end - 1] === 0x0d) end--;
  if (end < 16) return { ok: false, reason: 'truncated' };
  if (line[end - 9] !== STAR) return { ok: false, reason: 'no-crc', seq: peekSeq(line) };
  const crcText = line.toString('latin1', end - 8, end);
  if (!CRC_PATTERN.test(crcText)) return { ok: false, reason: 'no-crc', seq: peekSeq(line) };
  const body = line.subarray(0, end - 9);
  if (crcHex(body) !== crcText.toUpperCase()) return { ok: false, reason: 'crc', seq: peekSeq(line) };

  const tab = body.indexOf(HT);
  const headPart = tab === -1 ? body : body.subarray(0, tab);
  const data = tab === -1 ? undefined : Buffer.from(body.subarray(tab + 1));
  const head = headPart.toString('utf8');
  const first = head.indexOf(' ');
  const second = head.indexOf(' ', first + 1);
  const third = head.indexOf(' ', second + 1);
  if (first !== 4 || second !== 6 || third === -1) return { ok: false, reason: 'layout' };
  const seqText = head.slice(0, 4);
  const kind = head.slice(5, 6);
  const type = head.slice(7, third);
  if (!SEQ_PATTERN.test(seqText)) return { ok: false, reason: 'seq' };
  const seq = parseInt(seqText, 16);
  if (kind !== 'Q' && kind !== 'R' && kind !== 'E' && kind !== 'X') return { ok: false, reason: 'kind', seq };
  if (!TYPE_PATTERN.test(type)) return { ok: false, reason: 'type', seq };
  let header: unknown;
  try {
    header = JSON.parse(head.slice(third + 1));
  } catch {
    return { ok: false, reason: 'header-json', seq };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return { ok: false, reason: 'header-not-object', seq };
  }
  const frame: Frame = { seq, kind, type, header: header as Record<string, unknown> };
  if (data) frame.data = data;
  return { ok: true, frame };
}

function peekSeq(line: Buffer): number | undefined {
  const text = line.toString('latin1', 0, 4);
  return SEQ_PATTERN.test(text) && line[4] === 0x20 ? parseInt(text, 16) : undefined;
}

/**
 * The APDU envelope (PA00P015 ch. 1; PA00P016 3.1): CLASS INSTR LEN DATA, where LEN is one byte
 * for 0-254 data bytes, or FF followed by the length little-endian (FF lo hi) for longer data.
 * A sender may use the long form for short data too, so the form is kept for a lossless re-encode.
 */
export interface Apdu {
  cls: number;
  instr: number;
  data: Buffer;
  /** LEN was sent as FF lo hi. */
  extended: boolean;
}

export const MAX_APDU_DATA = 0xffff;
/** CLASS INSTR FF lo hi + 65535 data bytes: no valid APDU is longer. */
export const MAX_APDU_BYTES = 5 + MAX_APDU_DATA;

export type HeaderResult =
  { ok: true; headerBytes: number; dataLength: number; extended: boolean } | { ok: false; need: number };

/** Reads the header at `offset`; `need` says how many bytes are missing before it can be read. */
export function readHeader(buf: Buffer, offset = 0): HeaderResult {
  const available = buf.length - offset;
  if (available < 3) return { ok: false, need: 3 - available };
  const len = buf[offset + 2] ?? 0;
  if (len !== 0xff) return { ok: true, headerBytes: 3, dataLength: len, extended: false };
  if (available < 5) return { ok: false, need: 5 - available };
  return { ok: true, headerBytes: 5, dataLength: buf.readUInt16LE(offset + 3), extended: true };
}

export type ParseApduResult = { ok: true; apdu: Apdu } | { ok: false; reason: string };

/** One whole APDU: the buffer must hold exactly the header and LEN data bytes. */
export function parseApdu(buf: Buffer): ParseApduResult {
  const header = readHeader(buf);
  if (!header.ok) return { ok: false, reason: `APDU of ${buf.length} bytes is shorter than its header` };
  const total = header.headerBytes + header.dataLength;
  if (total !== buf.length) {
    return {
      ok: false,
      reason: `LEN says ${header.dataLength} data bytes, the APDU holds ${buf.length - header.headerBytes}`,
    };
  }
  return {
    ok: true,
    apdu: {
      cls: buf[0] ?? 0,
      instr: buf[1] ?? 0,
      data: Buffer.from(buf.subarray(header.headerBytes)),
      extended: header.extended,
    },
  };
}

/** The long form is used when asked for, and whenever the data does not fit one byte (LEN FF is the escape). */
export function encodeApdu(
  cls: number,
  instr: number,
  data: Buffer = Buffer.alloc(0),
  extended = false,
): Buffer {
  if (data.length > MAX_APDU_DATA)
    throw new RangeError(`APDU data of ${data.length} bytes exceeds ${MAX_APDU_DATA}`);
  if (extended || data.length > 254) {
    const head = Buffer.from([cls, instr, 0xff, 0, 0]);
    head.writeUInt16LE(data.length, 3);
    return Buffer.concat([head, data]);
  }
  return Buffer.concat([Buffer.from([cls, instr, data.length]), data]);
}

export function apduBytes(a: Apdu): Buffer {
  return encodeApdu(a.cls, a.instr, a.data, a.extended);
}

/** '06 0F' */
export function controlField(cls: number, instr: number): string {
  return `${cls.toString(16).toUpperCase().padStart(2, '0')} ${instr.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The smallest DER toolkit the CMS backup container needs (X.690). Only the fixed, small parts
 * are built and parsed here (algorithm identifiers, the recipient info, certificate fields); the
 * bulk ciphertext never passes through these functions, so everything works on whole Buffers.
 */

/** Thrown for malformed encodings; callers turn it into a PosdecomError with their own context. */
export class MalformedDer extends Error {
  override readonly name = 'MalformedDer';
}

export const Tag = {
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  Set: 0x31,
} as const;

/** Context-specific tag number n, constructed (as used by EXPLICIT tags and IMPLICIT SEQUENCEs). */
export const ctxCons = (n: number): number => 0xa0 | n;
/** Context-specific tag number n, primitive. */
export const ctxPrim = (n: number): number => 0x80 | n;

/** BER end-of-contents octets that close an indefinite-length value. */
export const EOC = Buffer.from([0, 0]);

export function derLength(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`bad DER length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

/** Identifier plus the 0x80 length octet: the contents follow and end with EOC. */
export const indefinite = (tag: number): Buffer => Buffer.from([tag, 0x80]);

export const seq = (...content: Buffer[]): Buffer => tlv(Tag.Sequence, ...content);

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((s) => Number(s));
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f));
    out.push(...base128);
  }
  return tlv(Tag.Oid, Buffer.from(out));
}

/** A small non-negative INTEGER (versions, tag lengths). */
export function uint(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`bad INTEGER ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(Tag.Integer, Buffer.from(bytes));
}

export interface Tlv {
  tag: number;
  /** The whole encoding, identifier to last content octet (a view into the parsed buffer). */
  raw: Buffer;
  value: Buffer;
}

/**
 * Reads one definite-length TLV at `offset`. Indefinite lengths, multi-byte tags and lengths over
 * four octets are refused: none occurs in the small structures parsed this way.
 */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new MalformedDer('truncated element');
  if ((tag & 0x1f) === 0x1f) throw new MalformedDer('multi-byte tags are not supported');
  let len = first;
  let header = 2;
  if (first === 0x80) throw new MalformedDer('unexpected indefinite length');
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new MalformedDer('length field too long');
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[offset + 2 + i];
      if (b === undefined) throw new MalformedDer('truncated length');
      len = len * 256 + b;
    }
    header += n;
  }
  const end = offset + header + len;
  if (end > buf.length) throw new MalformedDer('element runs past its container');
  return { tag, raw: buf.subarray(offset, end), value: buf.subarray(offset + header, end) };
}

/** The elements inside a constructed value, in order; bounded so a hostile blob cannot spin. */
export function children(value: Buffer, max = 64): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < value.length;) {
    if (out.length === max) throw new MalformedDer('too many elements');
    const t = readTlv(value, off);
    out.push(t);
    off += t.raw.length;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined) throw new MalformedDer(`${what} is missing`);
  if (t.tag !== tag) throw new MalformedDer(`${what} has tag 0x${t.tag.toString(16)}`);
  return t;
}

/** Dotted form of an OBJECT IDENTIFIER, given the element or just its content octets. */
export function decodeOid(t: Tlv | Buffer): string {
  const value = Buffer.isBuffer(t) ? t : t.tag === Tag.Oid ? t.value : undefined;
  if (value === undefined || value.length === 0 || value.length > 64) throw new MalformedDer('bad OID');
  const arcs: number[] = [];
  let v = 0;
  for (const b of value) {
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new MalformedDer('OID arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  if ((value[value.length - 1] ?? 0) & 0x80) throw new MalformedDer('truncated OID');
  const head = arcs.shift() ?? 0;
  const first = head < 80 ? Math.floor(head / 40) : 2;
  return [first, head - first * 40, ...arcs].join('.');
}

export function decodeUint(t: Tlv): number {
  if (t.tag !== Tag.Integer || t.value.length === 0 || t.value.length > 4)
    throw new MalformedDer('bad INTEGER');
  if ((t.value[0] ?? 0) & 0x80) throw new MalformedDer('negative INTEGER');
  return t.value.reduce((acc, b) => acc * 256 + b, 0);
}

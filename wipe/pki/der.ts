/**
 * A minimal DER reader and writer, enough for PKCS#8, CMS SignedData and X.509 extensions.
 *
 * The reader keeps byte offsets into the original buffer, because a CMS signature covers the
 * exact bytes of the signed attributes: re-encoding a parsed tree (as forge.asn1 would) can
 * hide a non-DER encoding from the verifier. Definite lengths only; indefinite-length BER is
 * refused, which is fine for the signatures posdecom makes and checks.
 */

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

export interface Tlv {
  /** The whole identifier octet (class, constructed bit and number); tags above 30 are refused. */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export class DerError extends Error {
  override readonly name = 'DerError';
}

export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated element at offset ${offset}`);
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at offset ${offset}`);
  let len = buf[offset + 1] as number;
  let pos = offset + 2;
  if (len === 0x80) throw new DerError(`indefinite length at offset ${offset}`);
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4 || pos + n > limit) throw new DerError(`bad length at offset ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[pos + i] as number);
    pos += n;
  }
  if (pos + len > limit) throw new DerError(`element at offset ${offset} overruns its container`);
  return { tag, start: offset, contentStart: pos, end: pos + len };
}

/** The children of a constructed element; they must tile its content exactly. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readTlv(buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t) throw new DerError(`${what}: missing`);
  if (t.tag !== tag)
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  return t;
}

export function content(buf: Uint8Array, t: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + t.contentStart, t.end - t.contentStart);
}

export function whole(buf: Uint8Array, t: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + t.start, t.end - t.start);
}

export function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0)
        parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

// Writer: just what PKCS#8 encryption needs.

export function encode(tag: number, body: Uint8Array): Buffer {
  const n = body.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else if (n < 0x100) header = [tag, 0x81, n];
  else if (n < 0x10000) header = [tag, 0x82, n >> 8, n & 0xff];
  else header = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from(header), body]);
}

export function seq(...items: Uint8Array[]): Buffer {
  return encode(Tag.Sequence, Buffer.concat(items));
}

export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const arc of [(a ?? 0) * 40 + (b ?? 0), ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return encode(Tag.Oid, Buffer.from(out));
}

export function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) bytes.unshift(0);
  return encode(Tag.Integer, Buffer.from(bytes));
}

export function octets(bytes: Uint8Array): Buffer {
  return encode(Tag.OctetString, bytes);
}

export const NULL = Buffer.from([Tag.Null, 0]);

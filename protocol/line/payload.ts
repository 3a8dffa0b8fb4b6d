import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Payload encodings for the DATA field (SPEC.md s.4).
 *  - b64:  RFC 4648 base64, 7-bit safe (7E1 links, XON/XOFF links).
 *  - 8bit: every byte as itself except NUL, LF, CR and "=", which become "=" + (byte + 64).
 *          About 1.6% overhead on random data; only for 8-bit clean links.
 */
export type PayloadEncoding = 'b64' | '8bit';
export type Compression = 'none' | 'deflate';

const ESC = 0x3d;

function needsEscape(b: number): boolean {
  return b === 0x00 || b === 0x0a || b === 0x0d || b === ESC;
}

export function encodePayload(bytes: Buffer, encoding: PayloadEncoding): Buffer {
  if (encoding === 'b64') return Buffer.from(bytes.toString('base64'), 'latin1');
  let escapes = 0;
  for (let i = 0; i < bytes.length; i++) if (needsEscape(bytes[i]!)) escapes++;
  if (escapes === 0) return Buffer.from(bytes);
  const out = Buffer.allocUnsafe(bytes.length + escapes);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (needsEscape(b)) {
      out[o++] = ESC;
      out[o++] = (b + 64) & 0xff;
    } else out[o++] = b;
  }
  return out;
}

/** Returns undefined for text that is not valid in the encoding (never throws). */
export function decodePayload(text: Buffer, encoding: PayloadEncoding): Buffer | undefined {
  if (encoding === 'b64') {
    if (text.length % 4 !== 0) return undefined;
    const s = text.toString('latin1');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
    return Buffer.from(s, 'base64');
  }
  if (text.indexOf(ESC) === -1) return Buffer.from(text);
  const out = Buffer.allocUnsafe(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === ESC) {
      const next = text[++i];
      if (next === undefined) return undefined;
      out[o++] = (next - 64) & 0xff;
    } else out[o++] = b;
  }
  return out.subarray(0, o);
}

/** Worst-case encoded size, so a sender can keep a frame under the line limit. */
export function maxEncodedSize(rawBytes: number, encoding: PayloadEncoding): number {
  return encoding === 'b64' ? Math.ceil(rawBytes / 3) * 4 : rawBytes * 2;
}

export function compress(bytes: Buffer): Buffer {
  return deflateRawSync(bytes, { level: 6 });
}

/** Bounded inflate: a hostile peer cannot make us allocate more than `maxOutput`. */
export function decompress(bytes: Buffer, maxOutput: number): Buffer | undefined {
  try {
    return inflateRawSync(bytes, { maxOutputLength: maxOutput });
  } catch {
    return undefined;
  }
}

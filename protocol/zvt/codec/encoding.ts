/**
 * The primitive encodings ZVT builds everything from (PA00P015 ch. 1 and the BMP table):
 * packed BCD, the Fx Fy (Fz) length prefixes of LLVAR/LLLVAR fields, and text in code page 437,
 * the terminal character set the spec names as default.
 */

/** Every nibble as a hex digit, upper case: BCD digits, and E (masked) or F (padding) as they are. */
export function nibbles(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase();
}

/** A packed-BCD number, or null when a nibble is not a decimal digit (e.g. the FF FF marker of BMP 87). */
export function bcdToNumber(bytes: Buffer): number | null {
  if (bytes.length === 0 || bytes.length > 7) return null;
  const digits = nibbles(bytes);
  return /^\d+$/.test(digits) ? Number(digits) : null;
}

/** `value` as packed BCD, left-padded with zeros to `size` bytes. */
export function numberToBcd(value: number, size: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a BCD-encodable number: ${value}`);
  const digits = String(value).padStart(size * 2, '0');
  if (digits.length > size * 2) throw new RangeError(`${value} does not fit ${size} BCD bytes`);
  return Buffer.from(digits, 'hex');
}

/** A digit string (even length after padding with F) as packed BCD, e.g. a password '123456'. */
export function digitsToBcd(digits: string): Buffer {
  if (!/^\d*$/.test(digits)) throw new RangeError('BCD digits must be 0-9');
  return Buffer.from(digits.length % 2 === 0 ? digits : `${digits}F`, 'hex');
}

/**
 * The length of an LLVAR (2 digits) or LLLVAR (3 digits) field: each prefix byte is F0-F9.
 * undefined when the prefix is short or not of that form.
 */
export function readVarLength(data: Buffer, offset: number, digits: 2 | 3): number | undefined {
  if (offset + digits > data.length) return undefined;
  let length = 0;
  for (let i = 0; i < digits; i++) {
    const b = data[offset + i] ?? 0;
    if (b >> 4 !== 0xf || (b & 0x0f) > 9) return undefined;
    length = length * 10 + (b & 0x0f);
  }
  return length;
}

export function encodeVarLength(length: number, digits: 2 | 3): Buffer {
  const text = String(length);
  if (text.length > digits)
    throw new RangeError(`${length} does not fit an L${'L'.repeat(digits - 1)}VAR prefix`);
  return Buffer.from([...text.padStart(digits, '0')].map((d) => 0xf0 | Number(d)));
}

/** Code page 437, bytes 0x80-0xFF (umlauts at 81, 84, 8E, 94, 99, 9A; sharp s at E1). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
const CP437_REVERSE = new Map([...CP437_HIGH].map((ch, i) => [ch, 0x80 + i]));

export function decodeText(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] ?? '?');
  return s;
}

/** Text as CP437; characters outside it become '?'. */
export function encodeText(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out.push(code < 0x80 && ch.length === 1 ? code : (CP437_REVERSE.get(ch) ?? 0x3f));
  }
  return Buffer.from(out);
}

/** Text fields may be NUL-padded (BMP 3B, card names): the value ends at the padding. */
export function trimNul(text: string): string {
  return text.replace(/\0+$/, '');
}

export function hex(bytes: Buffer): string {
  return bytes.toString('hex');
}

export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

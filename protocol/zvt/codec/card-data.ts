import { inspect } from 'node:util';
import { nibbles } from './encoding.js';

/**
 * Card data (PAN, track data, CVV) held so that it cannot leave the codec in clear by accident:
 * the bytes live in a module-private WeakMap, and every rendering (toString, toJSON, util.inspect,
 * template strings) gives the masked form. Only the encoder asks for the bytes back
 * (`cardBytesForEncode`), to put a decoded frame back on the wire unchanged.
 *
 * Masking keeps at most the first 6 and last 4 digits of a PAN (PCI DSS 3.4); digits a terminal
 * already masked (E nibbles) stay E; everything after a track's separator is dropped.
 */
export type CardDataKind =
  /** BCD digits, F-padded, E = a digit the terminal masked (BMP 22, TLV 5A). */
  | 'pan'
  /** Track 2 as hex digits with D as separator (BMP 23, TLV 57). */
  | 'track2'
  /** Anything else sensitive (track 1 and 3, CVV, cardholder name): never shown. */
  | 'secret';

const clear = new WeakMap<CardData, Buffer>();

export class CardData {
  readonly masked: string;

  constructor(
    readonly kind: CardDataKind,
    bytes: Buffer,
  ) {
    clear.set(this, Buffer.from(bytes));
    this.masked = mask(kind, bytes);
  }

  get byteLength(): number {
    return clear.get(this)?.length ?? 0;
  }

  toString(): string {
    return this.masked;
  }

  toJSON(): string {
    return this.masked;
  }

  [inspect.custom](): string {
    return `CardData(${this.masked})`;
  }
}

/** For the encoder only: a decoded frame must go back on the wire byte for byte. */
export function cardBytesForEncode(card: CardData): Buffer {
  const bytes = clear.get(card);
  if (!bytes) throw new Error('card data without bytes');
  return bytes;
}

function mask(kind: CardDataKind, bytes: Buffer): string {
  if (kind === 'secret') return `[redacted ${bytes.length} bytes]`;
  const digits = nibbles(bytes);
  if (kind === 'pan') return maskPan(digits.replace(/F+$/, ''));
  const sep = digits.search(/[D=]/);
  if (sep === -1) return maskPan(digits.replace(/F+$/, ''));
  return `${maskPan(digits.slice(0, sep))}D...`;
}

/**
 * First 6 and last 4 digits for a full-length PAN, fewer for short numbers, so that masking
 * never reveals more than it hides: 13+ digits keep 6+4, 9-12 keep the last 4, shorter keep none.
 */
export function maskPan(digits: string): string {
  const n = digits.length;
  const head = n >= 13 ? 6 : 0;
  const tail = n >= 9 ? 4 : 0;
  const middle = [...digits.slice(head, n - tail)].map((c) => (/\d/.test(c) ? '*' : c)).join('');
  return digits.slice(0, head) + middle + digits.slice(n - tail);
}

/**
 * Marks bytes that must stay usable as a Buffer (the password in a Registration's untagged
 * prefix, which the terminal compares and the encoder writes) but must not show: JSON and
 * util.inspect of these bytes give asterisks.
 */
export function hideBytes(bytes: Buffer): Buffer {
  Object.defineProperty(bytes, 'toJSON', { value: () => '******', enumerable: false });
  Object.defineProperty(bytes, inspect.custom, { value: () => '<hidden ******>', enumerable: false });
  return bytes;
}

/**
 * For free text and hex dumps that might carry a number in clear (receipt lines, opaque vendor
 * frames, BCD shown as hex): any run of 12 or more digits is masked as a PAN would be.
 */
export function scrubDigits(text: string): string {
  return text.replace(/\d{12,}/g, (run) => maskPan(run));
}

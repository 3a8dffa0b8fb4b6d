import type { Prng } from '../prng.js';

/**
 * Cardholder data for the stores that hold it (saf, batch). PANs are Luhn-valid and carry
 * plausible brand prefixes, because that is exactly what a leak scanner looks for: a PAN that
 * a scanner would not recognise would make the agent's leak tests pass for the wrong reason.
 *
 * A compliant terminal keeps only what PCI DSS allows after authorisation: the PAN truncated to
 * its first six and last four digits, and, for a payment still waiting in the SAF queue, the
 * card data as an encrypted blob (opaque bytes). The encodings of clear card data below (track
 * 1 and 2 in ASCII, EMV tags 5A and 57 in packed BCD) are what a noncompliant terminal keeps.
 */
export interface Card {
  brand: 'VISA' | 'MC' | 'AMEX';
  pan: string;
  /** YYMM, as on track 2. */
  expiry: string;
  serviceCode: string;
}

export function luhnCheckDigit(partial: string): number {
  let sum = 0;
  // Walking from the right, the digit next to the check digit is doubled first.
  for (let i = partial.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = partial.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isLuhnValid(pan: string): boolean {
  return /^\d{12,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === Number(pan.slice(-1));
}

export function randomCard(rng: Prng): Card {
  const roll = rng.float();
  let brand: Card['brand'];
  let prefix: string;
  let length: number;
  if (roll < 0.55) {
    brand = 'VISA';
    prefix = `4${rng.digits(5)}`;
    length = 16;
  } else if (roll < 0.9) {
    brand = 'MC';
    prefix = rng.chance(0.7) ? `5${rng.int(1, 5)}${rng.digits(4)}` : `${rng.int(2221, 2720)}${rng.digits(2)}`;
    length = 16;
  } else {
    brand = 'AMEX';
    prefix = `3${rng.pick(['4', '7'])}${rng.digits(4)}`;
    length = 15;
  }
  const body = prefix + rng.digits(length - prefix.length - 1);
  const pan = body + String(luhnCheckDigit(body));
  const expiry = `${rng.int(26, 31)}${String(rng.int(1, 12)).padStart(2, '0')}`;
  return { brand, pan, expiry, serviceCode: rng.pick(['201', '221', '101', '226']) };
}

/** Track 2 as read from a magstripe: ;PAN=YYMMSSS<discretionary>? */
export function track2(card: Card, rng: Prng): string {
  return `;${card.pan}=${card.expiry}${card.serviceCode}${rng.digits(card.brand === 'AMEX' ? 10 : 13)}?`;
}

/** EMV tag 57 (track 2 equivalent data), hex with D as separator and F padding. */
export function tag57(card: Card, rng: Prng): string {
  const body = `${card.pan}D${card.expiry}${card.serviceCode}${rng.digits(12)}`;
  return body.length % 2 === 0 ? body : `${body}F`;
}

/** First six and last four, as receipts and journals print it. */
export function maskPan(pan: string): string {
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

const SURNAMES = ['SMITH', 'GARCIA', 'MULLER', 'ROSSI', 'NOWAK', 'DUBOIS', 'TANAKA'];
const GIVEN = ['ALEX', 'SAM', 'JO', 'KIM', 'ROBIN', 'NOOR', 'ELI'];

/** Track 1, format B: %B PAN ^ SURNAME/GIVEN ^ YYMM SSS discretionary ? */
export function track1(card: Card, rng: Prng): string {
  const name = `${rng.pick(SURNAMES)}/${rng.pick(GIVEN)}`;
  return `%B${card.pan}^${name}^${card.expiry}${card.serviceCode}${rng.digits(card.brand === 'AMEX' ? 8 : 11)}?`;
}

/** Digits (and the nibbles D and F) packed two to a byte, F-padded to a whole byte. */
export function packBcd(nibbles: string): Buffer {
  const even = nibbles.length % 2 === 0 ? nibbles : `${nibbles}F`;
  return Buffer.from(even, 'hex');
}

/** EMV tag 5A (application PAN), packed BCD: 5A len PAN[F]. */
export function tlvPan(card: Card): Buffer {
  const value = packBcd(card.pan);
  return Buffer.concat([Buffer.of(0x5a, value.length), value]);
}

/** EMV tag 57 (track 2 equivalent data), packed BCD: 57 len PAN D YYMM SSS discretionary [F]. */
export function tlvTrack2(card: Card, rng: Prng): Buffer {
  const value = packBcd(`${card.pan}D${card.expiry}${card.serviceCode}${rng.digits(10)}`);
  return Buffer.concat([Buffer.of(0x57, value.length), value]);
}

/**
 * What a compliant terminal keeps of a card for a payment not yet forwarded: the card data
 * encrypted under its SAF key (here: bytes no one can tell from random), behind a length.
 */
export function encryptedBlob(rng: Prng): Buffer {
  const length = 48;
  const out = Buffer.alloc(length + 2);
  out.writeUInt16BE(length, 0);
  for (let i = 0; i < length; i += 4) out.writeUInt32BE(rng.next(), 2 + i);
  return out;
}

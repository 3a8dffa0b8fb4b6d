import type { Prng } from '../prng.js';

/**
 * Cardholder data for the stores that hold it (saf, batch). PANs are Luhn-valid and carry
 * plausible brand prefixes, because that is exactly what a leak scanner looks for: a PAN that
 * a scanner would not recognise would make the agent's leak tests pass for the wrong reason.
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

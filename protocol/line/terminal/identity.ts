import { createHmac } from 'node:crypto';
import { isLuhnValid } from '../../simulator/content/cards.js';
import { Prng } from '../../simulator/prng.js';
import type { ModelProfile } from './models.js';

/** What a terminal is, independent of what has been done to it. */
export interface BirthIdentity {
  serial: string;
  tid: string;
  mid: string;
  acquirer: string;
  /** The currency the merchant trades in (ISO 4217 alpha). */
  currency: string;
}

// Invented acquirers; a real estate has a handful, so a small list is realistic.
const ACQUIRERS = [
  'Northbridge Merchant Services',
  'Harbour Acquiring Ltd',
  'Alpine Card Processing AG',
  'Eastgate Payments',
  'Meridian Merchant Bank',
];

export function deriveIdentity(profile: ModelProfile, seed: number): BirthIdentity {
  const rng = Prng.from(seed, `identity|${profile.name}`);
  // TIDs and MIDs never start with 0 in practice: some hosts strip leading zeros.
  return {
    serial: `${profile.serialPrefix}${rng.int(20, 26)}${rng.digits(7)}`,
    tid: `${rng.int(1, 9)}${rng.digits(7)}`,
    mid: notLuhnValid(`${rng.int(1, 9)}${rng.digits(14)}`),
    acquirer: rng.pick(ACQUIRERS),
    currency: rng.pick(['EUR', 'EUR', 'GBP', 'USD', 'CHF']),
  };
}

/**
 * A 15-digit MID that happens to pass the Luhn check looks like a PAN to a leak scanner; the
 * config store holds the MID, and it must not make leak tests fail (or pass) by accident.
 */
function notLuhnValid(digits: string): string {
  if (!isLuhnValid(digits)) return digits;
  const last = (Number(digits.slice(-1)) + 1) % 10;
  return digits.slice(0, -1) + String(last);
}

// Crockford base32: no I, L, O, U, so a technician reading a work order cannot confuse them.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The decommission authority code: in a real estate the acquirer issues it per terminal; here
 * it is HMAC-SHA256(key = "posdecom-sim-authority/1|<seed>", message = serial), first 80 bits,
 * as 16 Crockford base32 characters in groups of four, e.g. "7QKM-2F9X-HC4T-8RWZ".
 */
export function authorityCodeFor(seed: number, serial: string): string {
  const mac = createHmac('sha256', `posdecom-sim-authority/1|${seed}`).update(serial).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (let i = 0; i < 10; i++) {
    value = (value << 8) | mac[i]!;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join('-');
}

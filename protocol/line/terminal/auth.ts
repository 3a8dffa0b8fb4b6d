import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { authMessage } from '../messages.js';
import { Refusal } from './handlers/refusal.js';
import type { Device } from './device.js';

/**
 * Challenge-response authorization (SPEC.md s.5.2). Nonces come from the system CSPRNG, not
 * the seed: a seeded nonce sequence would repeat after a restart and let a recorded exchange
 * be replayed. Failures and the lockout are device state (persisted), so neither a reconnect
 * nor a power cycle resets the count.
 */
export const MAX_FAILURES = 3;
const NONCE_VALID_MS = 60_000;
const MAX_NONCES = 8;
/** Authorization lasts for the session, but no session is trusted for longer than this. */
export const AUTH_VALID_MS = 4 * 3_600_000;

export interface SessionAuth {
  readonly id: string;
  /** Outstanding nonces of this session, with the time each was issued. */
  nonces: Map<string, number>;
  /** performance.now() until which the session is authorized; 0 = not authorized. */
  authorizedUntil: number;
}

export function isAuthorized(session: SessionAuth): boolean {
  return session.authorizedUntil > performance.now();
}

function checkLock(device: Device): void {
  const left = device.auth.lockedUntil - Date.now();
  if (left > 0)
    throw new Refusal('AUTH_LOCKED', 'too many failed attempts', { retryAfterMs: Math.ceil(left) });
  if (device.auth.lockedUntil !== 0) {
    // The lock has run out: the next three attempts start afresh.
    device.auth = { failures: 0, lockedUntil: 0 };
    device.persist();
  }
}

export function beginAuth(device: Device, session: SessionAuth): { nonce: string; attemptsLeft: number } {
  checkLock(device);
  const hex = randomBytes(16).toString('hex');
  const nonce = device.options.upperCaseHex ? hex.toUpperCase() : hex;
  session.nonces.set(nonce, performance.now());
  // Bounded: an agent that begins and never finishes cannot grow this.
  while (session.nonces.size > MAX_NONCES) session.nonces.delete(session.nonces.keys().next().value!);
  return { nonce, attemptsLeft: MAX_FAILURES - device.auth.failures };
}

export function verifyAuth(device: Device, session: SessionAuth, nonce: string, mac: string): number {
  checkLock(device);
  const issued = session.nonces.get(nonce);
  // Consumed by this attempt whatever its outcome, so a recorded exchange cannot be replayed.
  session.nonces.delete(nonce);
  const fresh = issued !== undefined && performance.now() - issued <= NONCE_VALID_MS;
  const expected = createHmac('sha256', device.authorityCode)
    .update(authMessage(device.birth.serial, nonce, session.id))
    .digest();
  const wellFormed = /^[0-9a-fA-F]{64}$/.test(mac);
  const given = wellFormed ? Buffer.from(mac, 'hex') : Buffer.alloc(32);
  // Compare even when the nonce is already known bad: the timing must not tell which check failed.
  const macOk = timingSafeEqual(expected, given) && wellFormed;
  if (fresh && macOk) {
    device.auth = { failures: 0, lockedUntil: 0 };
    device.persist();
    session.authorizedUntil = performance.now() + AUTH_VALID_MS;
    return AUTH_VALID_MS;
  }
  const failures = device.auth.failures + 1;
  const locking = failures >= MAX_FAILURES;
  device.auth = { failures, lockedUntil: locking ? Date.now() + device.options.authLockoutMs : 0 };
  device.persist();
  const why = issued === undefined ? 'unknown or used nonce' : fresh ? 'wrong MAC' : 'expired nonce';
  // The failure that locks is still reported as a failure (attemptsLeft 0); AUTH_LOCKED follows.
  throw new Refusal('AUTH_FAILED', locking ? `${why}; locked` : why, {
    attemptsLeft: MAX_FAILURES - failures,
    ...(locking ? { retryAfterMs: device.options.authLockoutMs } : {}),
  });
}

import type { ErrorCodeName, ErrorReply } from '../../messages.js';

/**
 * A well-formed refusal (SPEC.md s.8). Handlers throw it; the connection turns it into the
 * error reply, so a handler reads as the happy path plus its guards.
 */
export class Refusal extends Error {
  constructor(
    readonly code: ErrorCodeName,
    message: string,
    readonly extra: Pick<ErrorReply, 'attemptsLeft' | 'retryAfterMs' | 'reasons'> & {
      supported?: string[];
    } = {},
  ) {
    super(message);
  }

  reply(): Record<string, unknown> {
    return { ok: false, code: this.code, message: this.message, ...this.extra };
  }
}

type Header = Record<string, unknown>;

function missing(field: string, want: string): Refusal {
  return new Refusal('BAD_REQUEST', `field '${field}' must be ${want}`);
}

export function str(h: Header, field: string, maxLength = 256): string {
  const v = h[field];
  if (typeof v !== 'string' || v.length > maxLength)
    throw missing(field, `a string of at most ${maxLength} characters`);
  return v;
}

export function bool(h: Header, field: string): boolean {
  const v = h[field];
  if (typeof v !== 'boolean') throw missing(field, 'true or false');
  return v;
}

/** A JSON number; whether it is a usable integer is the handler's RANGE question (s.6.10). */
export function num(h: Header, field: string): number {
  const v = h[field];
  if (typeof v !== 'number') throw missing(field, 'a number');
  return v;
}

export function strings(h: Header, field: string, maxItems = 16): string[] {
  const v = h[field];
  if (!Array.isArray(v) || v.length > maxItems || !v.every((s) => typeof s === 'string' && s.length <= 64)) {
    throw missing(field, `an array of at most ${maxItems} short strings`);
  }
  return v as string[];
}

const OP_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** An operation id (s.7.5): 1-64 characters from A-Z a-z 0-9 . _ : - */
export function opId(h: Header): string {
  const v = h.op;
  if (typeof v !== 'string' || !OP_PATTERN.test(v))
    throw missing('op', '1-64 characters from A-Z a-z 0-9 . _ : -');
  return v;
}

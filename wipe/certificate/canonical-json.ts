import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

/**
 * Canonical JSON after RFC 8785 (JCS): object keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers exactly as ECMAScript's JSON.stringify writes them (JCS s.3.2.2 defines
 * number output as ES Number-to-String, which is what JSON.stringify uses).
 *
 * The signed bytes of a certificate are these bytes, so anything JSON.stringify would silently
 * change or drop in an array (NaN -> null, undefined -> null, a Date -> a string) is refused
 * instead: what is signed must be what the caller meant. An object property whose value is
 * undefined is left out, as JSON.stringify does, so optional TypeScript fields can stay unset.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

/** The I-JSON rule (RFC 7493) that JCS adopts: strings must be valid Unicode. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function write(value: unknown, out: string[], path: string): void {
  if (value === null || typeof value === 'boolean') {
    out.push(String(value));
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(path, `non-finite number ${String(value)}`);
    out.push(JSON.stringify(value));
    return;
  }
  if (typeof value === 'string') {
    out.push(quote(value, path));
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      if (item === undefined) refuse(`${path}[${i}]`, 'undefined in an array');
      write(item, out, `${path}[${i}]`);
    });
    out.push(']');
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    // Default sort compares UTF-16 code units, which is the order JCS s.3.2.3 requires.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.push('{');
    entries.forEach(([k, v], i) => {
      if (i > 0) out.push(',');
      out.push(quote(k, path), ':');
      write(v, out, `${path}.${k}`);
    });
    out.push('}');
    return;
  }
  refuse(path, `unsupported value of type ${describe(value)}`);
}

const ANY_SURROGATE = /[\uD800-\uDFFF]/;

function quote(s: string, path: string): string {
  // The cheap test first: almost every string has no surrogate at all.
  if (ANY_SURROGATE.test(s) && LONE_SURROGATE.test(s)) refuse(path, 'string with a lone surrogate');
  return JSON.stringify(s);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return typeof value;
}

function refuse(path: string, what: string): never {
  throw new PosdecomError(ErrorCode.CertificateInvalid, `cannot write canonical JSON: ${what} at ${path}`, {
    path,
  });
}

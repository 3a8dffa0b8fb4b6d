/**
 * A tiny structural checker for headers from the terminal: every field a hostile terminal
 * could abuse (lengths, ranges, types) is bounded before the agent looks at it.
 * Returns the first problem as a path and reason, or undefined when the value fits.
 *
 * Checks of objects, lists and maps also know how to keep only what they describe (`keep`):
 * a field the catalogue does not name is left out and counted, never carried up, so nothing a
 * terminal adds of its own (a track-2 string, a field nested thousands deep) reaches a record.
 */
export type Check = ((value: unknown, path: string) => string | undefined) & {
  keep?: (value: unknown, dropped: Dropped) => unknown;
};

/** How many fields `keep` left out. */
export interface Dropped {
  count: number;
}

/** `value` with only the fields `check` names; unknown object keys are counted in `dropped`. */
export function keepKnown(check: Check, value: unknown, dropped: Dropped): unknown {
  return check.keep ? check.keep(value, dropped) : value;
}

function withKeep(check: (value: unknown, path: string) => string | undefined, keep: Check['keep']): Check {
  return Object.assign(check, { keep });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const SAFE_TEXT = /^[\x20-\x7e\u00a0-\u024f]*$/;

export const str =
  (max = 128, pattern?: RegExp): Check =>
  (v, p) => {
    if (typeof v !== 'string') return `${p} is not a string`;
    if (v.length > max) return `${p} is longer than ${max}`;
    if (!SAFE_TEXT.test(v)) return `${p} has control or unexpected characters`;
    if (pattern && !pattern.test(v)) return `${p} has an unexpected form`;
    return undefined;
  };

export const int =
  (min: number, max: number): Check =>
  (v, p) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max
      ? undefined
      : `${p} is not a whole number from ${min} to ${max}`;

export const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} is not true or false`);

export const literal =
  (...values: (string | number | boolean | null)[]): Check =>
  (v, p) =>
    values.includes(v as string) ? undefined : `${p} is not one of ${values.join(', ')}`;

export const nullable = (c: Check): Check =>
  withKeep(
    (v, p) => (v === null ? undefined : c(v, p)),
    (v, d) => (v === null ? null : keepKnown(c, v, d)),
  );

export const arr = (c: Check, max: number): Check =>
  withKeep(
    (v, p) => {
      if (!Array.isArray(v)) return `${p} is not a list`;
      if (v.length > max) return `${p} has more than ${max} entries`;
      for (let i = 0; i < v.length; i++) {
        const e = c(v[i], `${p}[${i}]`);
        if (e) return e;
      }
      return undefined;
    },
    (v, d) => (Array.isArray(v) ? v.slice(0, max).map((x) => keepKnown(c, x, d)) : v),
  );

export const record = (keyPattern: RegExp, c: Check, maxKeys: number): Check =>
  withKeep(
    (v, p) => {
      if (!isPlainObject(v)) return `${p} is not an object`;
      const keys = Object.keys(v);
      if (keys.length > maxKeys) return `${p} has more than ${maxKeys} entries`;
      for (const k of keys) {
        if (!keyPattern.test(k)) return `${p} has an unexpected key`;
        const e = c(v[k], `${p}.${k}`);
        if (e) return e;
      }
      return undefined;
    },
    (v, d) => {
      if (!isPlainObject(v)) return v;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).slice(0, maxKeys)) {
        if (keyPattern.test(k)) out[k] = keepKnown(c, v[k], d);
        else d.count++;
      }
      return out;
    },
  );

export const obj = (fields: Record<string, Check>, optional: Record<string, Check> = {}): Check => {
  const known = { ...optional, ...fields };
  return withKeep(
    (v, p) => {
      if (!isPlainObject(v)) return `${p} is not an object`;
      for (const [k, c] of Object.entries(fields)) {
        const e = c(v[k], p ? `${p}.${k}` : k);
        if (e) return e;
      }
      for (const [k, c] of Object.entries(optional)) {
        if (v[k] === undefined) continue;
        const e = c(v[k], p ? `${p}.${k}` : k);
        if (e) return e;
      }
      return undefined;
    },
    (v, d) => {
      if (!isPlainObject(v)) return v;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const c = Object.hasOwn(known, k) ? known[k] : undefined;
        if (c) out[k] = keepKnown(c, v[k], d);
        else d.count++;
      }
      return out;
    },
  );
};

/**
 * A tiny structural checker for headers from the terminal: every field a hostile terminal
 * could abuse (lengths, ranges, types) is bounded before the agent looks at it.
 * Returns the first problem as a path and reason, or undefined when the value fits.
 */
export type Check = (value: unknown, path: string) => string | undefined;

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

export const nullable =
  (c: Check): Check =>
  (v, p) =>
    v === null ? undefined : c(v, p);

export const arr =
  (c: Check, max: number): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p} is not a list`;
    if (v.length > max) return `${p} has more than ${max} entries`;
    for (let i = 0; i < v.length; i++) {
      const e = c(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return undefined;
  };

export const record =
  (keyPattern: RegExp, c: Check, maxKeys: number): Check =>
  (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p} is not an object`;
    const keys = Object.keys(v);
    if (keys.length > maxKeys) return `${p} has more than ${maxKeys} entries`;
    for (const k of keys) {
      if (!keyPattern.test(k)) return `${p} has an unexpected key`;
      const e = c((v as Record<string, unknown>)[k], `${p}.${k}`);
      if (e) return e;
    }
    return undefined;
  };

export const obj =
  (fields: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p} is not an object`;
    const o = v as Record<string, unknown>;
    for (const [k, c] of Object.entries(fields)) {
      const e = c(o[k], p ? `${p}.${k}` : k);
      if (e) return e;
    }
    for (const [k, c] of Object.entries(optional)) {
      if (o[k] === undefined) continue;
      const e = c(o[k], p ? `${p}.${k}` : k);
      if (e) return e;
    }
    return undefined;
  };

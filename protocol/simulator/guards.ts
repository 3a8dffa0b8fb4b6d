/** Structural checks for what a simulator reads back from its own state file. */
export type Guard<T> = (v: unknown) => v is T;

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
export const isStr = (v: unknown): v is string => typeof v === 'string';

export const arrayOf =
  <T>(g: Guard<T>): Guard<T[]> =>
  (v): v is T[] =>
    Array.isArray(v) && v.every(g);

export const recordOf =
  <T>(g: Guard<T>): Guard<Record<string, T>> =>
  (v): v is Record<string, T> =>
    isObj(v) && Object.values(v).every(g);

export const oneOf =
  <T extends string>(values: readonly T[]): Guard<T> =>
  (v): v is T =>
    (values as readonly unknown[]).includes(v);

/**
 * Reading a step's evidence for the PDF: typed getters that remember which keys a renderer used,
 * and the generic fallback that says everything else as "key: value" sentences. So a key the
 * renderers do not know (a newer workflow, another driver) still reaches the reader, in words,
 * never as JSON with braces and quotes.
 */

export class EvidenceReader {
  private readonly used = new Set<string>();

  constructor(readonly evidence: Record<string, unknown>) {}

  has(key: string): boolean {
    return Object.hasOwn(this.evidence, key) && this.evidence[key] !== undefined;
  }

  raw(key: string): unknown {
    this.used.add(key);
    return Object.hasOwn(this.evidence, key) ? this.evidence[key] : undefined;
  }

  /** A value as words; `fallback` when absent or null. */
  text(key: string, fallback = 'not reported'): string {
    const v = this.raw(key);
    return v === undefined || v === null ? fallback : plain(v);
  }

  num(key: string): number | undefined {
    const v = this.raw(key);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    return typeof v === 'boolean' ? v : undefined;
  }

  record(key: string): Record<string, unknown> | undefined {
    const v = this.raw(key);
    return isRecord(v) ? v : undefined;
  }

  list(key: string): unknown[] | undefined {
    const v = this.raw(key);
    return Array.isArray(v) ? v : undefined;
  }

  /** "Other evidence: key: value." for every key no renderer used. */
  rest(): string[] {
    return Object.entries(this.evidence)
      .filter(([k, v]) => !this.used.has(k) && v !== undefined)
      .map(([k, v]) => `${words(k)}: ${plain(v)}.`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** camelCase keys as words: "terminalSha256" -> "terminal SHA-256", "tidAfter" -> "TID after". */
export function words(key: string): string {
  return key
    .replace(/sha256/gi, ' sha256')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\b(tid|mid|kcv|id|pan|sim)\b/g, (w) => w.toUpperCase())
    .replace(/\bsha256\b/g, 'SHA-256');
}

/**
 * Any JSON value as plain words, nested objects as "key value, key value" in parentheses, at
 * most four levels deep and 60 items a list (the full value is in certificate.json).
 */
export function plain(v: unknown, depth = 0): string {
  if (v === null) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v === '' ? '(empty)' : v;
  if (depth >= 4) return '(nested further; see certificate.json)';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    const shown = v.slice(0, 60).map((x) => plain(x, depth + 1));
    const sep = v.every((x) => x === null || typeof x !== 'object') ? ', ' : '; ';
    return shown.join(sep) + (v.length > 60 ? `${sep}and ${v.length - 60} more` : '');
  }
  if (isRecord(v)) {
    const parts = Object.entries(v).map(([k, x]) => `${words(k)} ${plain(x, depth + 1)}`);
    const inner = parts.length === 0 ? 'nothing' : parts.join(', ');
    return depth === 0 ? inner : `(${inner})`;
  }
  return String(v);
}

/** 48210 minor units of EUR -> "EUR 482.10" (ISO 4217 currencies here have two decimals or none). */
export function money(m: unknown): string {
  if (!isRecord(m) || typeof m.minor !== 'number' || typeof m.currency !== 'string') return plain(m);
  const zeroDecimal = ['JPY', 'KRW', 'ISK', 'CLP', 'VND'].includes(m.currency);
  if (zeroDecimal) return `${m.currency} ${m.minor}`;
  const sign = m.minor < 0 ? '-' : '';
  const abs = Math.abs(m.minor);
  return `${sign}${m.currency} ${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

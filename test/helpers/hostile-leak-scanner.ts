import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { inflateSync } from 'node:zlib';
import { decodeFrame } from '../../protocol/line/frame.js';
import { decodePayload, decompress, type PayloadEncoding } from '../../protocol/line/payload.js';

/**
 * A leak scanner for everything the agent writes or prints: card numbers (any Luhn-valid run of
 * 13-19 digits, also in 4-digit groups), and named secrets (keys, passphrases, codes) in the
 * forms they could take (raw bytes, hex, base64, text).
 *
 * False positives are the danger of a PAN scanner over files full of digests: a SHA-256 in hex
 * holds a run of 13+ digits about one time in twenty-five, and one in ten of those passes Luhn.
 * So lower-case hex tokens of 16+ characters that contain a letter (digests, nonces, session
 * ids) are blanked first; a PAN has no letters, so this hides none; so are PDF dates. A PDF's text is decoded
 * from its deflated content streams and scanned too, since the raw file shows only deflate.
 */

export function isLuhnValid(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const HEX_TOKEN = /(?<![0-9A-Za-z])[0-9a-f]*[a-f][0-9a-f]*(?![0-9A-Za-z])/g;
const DIGIT_RUN = /(?<!\d)\d{13,19}(?!\d)/g;
/** 4-4-4-4(-3), 4-6-5 (Amex) and 4-4-4-1..3, with one separator used throughout. */
const GROUPED = /(?<!\d[ -]?)(\d{4}([ -])\d{4}\2\d{4}\2\d{1,7}|\d{4}([ -])\d{6}\3\d{5})(?![ -]?\d)/g;

/** Luhn-valid card numbers in `text`, as plain digits. */
export function findPans(text: string): string[] {
  const blanked = text
    .replace(HEX_TOKEN, (t) => (t.length >= 16 ? ' '.repeat(t.length) : t))
    // A PDF date (D:YYYYMMDDHHmmSS) is 14 digits; no card scheme issues 14-digit numbers from 20.
    .replace(/D:\d{14}/g, (t) => ' '.repeat(t.length))
    // A certificate serial number, in upper-case hex (the backup manifest names the recipient's).
    .replace(/"serialNumber":"[0-9A-F]+"/g, (t) => ' '.repeat(t.length));
  const found: string[] = [];
  for (const m of blanked.matchAll(DIGIT_RUN)) if (isLuhnValid(m[0])) found.push(m[0]);
  for (const m of blanked.matchAll(GROUPED)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (isLuhnValid(digits)) found.push(digits);
  }
  return found;
}

/**
 * The text a PDF shows, one line per text operator: pdfkit writes text as hex strings in
 * `[<...> kern <...>] TJ` arrays inside deflated content streams. Only the decoded strings are
 * returned; the operators around them (coordinates, colours like 0.26666666666666666) are
 * numbers a PAN scanner must not see.
 */
export function pdfText(pdf: Buffer): string {
  const lines: string[] = [];
  const raw = pdf.toString('latin1');
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end === -1) continue;
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue; // not deflated: an image, or plain content already in the raw bytes
    }
    for (const op of content.matchAll(
      /\[((?:[^\]])*)\]\s*TJ|(<[0-9A-Fa-f\s]*>)\s*Tj|(\((?:\\.|[^\\)])*\))\s*Tj/g,
    )) {
      const body = op[1] ?? op[2] ?? op[3] ?? '';
      const pieces = [...body.matchAll(/<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\)/g)].map((p) =>
        p[1] !== undefined ? Buffer.from(p[1].replace(/\s/g, ''), 'hex').toString('latin1') : (p[2] ?? ''),
      );
      lines.push(pieces.join(''));
    }
  }
  return lines.join('\n');
}

/**
 * What a transcript (`--record`, fixtures/*.jsonl) carries inside its frames: a frame that is not
 * printable is stored in base64, and READ data is in the session's payload encoding and often
 * deflated, so a raw scan would see none of the card data a broken mask let through. Returns
 * each frame's text and each READ reply's decoded, inflated bytes.
 */
export function transcriptTexts(jsonl: Buffer): string[] {
  const out: string[] = [];
  let enc: PayloadEncoding = 'b64';
  for (const text of jsonl.toString('utf8').split('\n')) {
    let entry: { line?: unknown; b64?: unknown };
    try {
      entry = JSON.parse(text) as { line?: unknown; b64?: unknown };
    } catch {
      continue;
    }
    const line =
      typeof entry.line === 'string'
        ? Buffer.from(entry.line, 'latin1')
        : typeof entry.b64 === 'string'
          ? Buffer.from(entry.b64, 'base64')
          : undefined;
    if (!line) continue;
    out.push(line.toString('latin1'));
    const d = decodeFrame(line);
    if (!d.ok) continue;
    const f = d.frame;
    if (f.kind === 'R' && f.type === 'HELLO' && (f.header.enc === '8bit' || f.header.enc === 'b64'))
      enc = f.header.enc;
    if (f.kind !== 'R' || f.type !== 'READ' || !f.data) continue;
    const decoded = decodePayload(f.data, enc);
    const length = Number(f.header.length) || 0;
    const raw = decoded && f.header.z === 'deflate' ? decompress(decoded, length) : decoded;
    if (raw) out.push(raw.toString('latin1'));
  }
  return out;
}

export interface Secret {
  label: string;
  /** Every form the secret could appear in; bytes are searched in the raw file. */
  forms: Buffer[];
}

/** Raw bytes, upper- and lower-case hex and base64 of a binary secret (a key). */
export function binaryForms(label: string, bytes: Buffer): Secret {
  return {
    label,
    forms: [
      bytes,
      Buffer.from(bytes.toString('hex')),
      Buffer.from(bytes.toString('hex').toUpperCase()),
      Buffer.from(bytes.toString('base64').replace(/=+$/, '')),
    ],
  };
}

/** A text secret as written, and (for codes like "7QKM-2F9X") without its separators. */
export function textForms(label: string, text: string): Secret {
  const forms = [Buffer.from(text)];
  const bare = text.replace(/[-\s]/g, '');
  if (bare !== text && bare.length >= 8) forms.push(Buffer.from(bare));
  return { label, forms };
}

export interface Source {
  name: string;
  bytes: Buffer;
}

export interface Leak {
  source: string;
  what: string;
  /** A short excerpt around the hit, card digits and secrets shown only in part. */
  excerpt: string;
}

function redacted(text: string): string {
  return text.length <= 8 ? '****' : `${text.slice(0, 4)}…${text.slice(-2)}`;
}

export function scan(sources: Source[], secrets: Secret[]): Leak[] {
  const leaks: Leak[] = [];
  for (const s of sources) {
    const texts = [s.bytes.toString('latin1')];
    if (s.name.endsWith('.pdf')) texts.push(pdfText(s.bytes));
    if (s.name.endsWith('.jsonl')) texts.push(...transcriptTexts(s.bytes));
    for (const text of texts) {
      for (const pan of findPans(text)) {
        leaks.push({ source: s.name, what: 'Luhn-valid card number', excerpt: redacted(pan) });
      }
    }
    const decoded = Buffer.from(texts.slice(1).join('\n'), 'latin1');
    for (const secret of secrets) {
      for (const form of secret.forms) {
        if (form.length > 0 && (s.bytes.includes(form) || decoded.includes(form))) {
          leaks.push({ source: s.name, what: secret.label, excerpt: redacted(form.toString('latin1')) });
          break;
        }
      }
    }
  }
  return leaks;
}

/** Every file under `dir` (recursively), except under the directories named in `skip`. */
export async function filesUnder(dir: string, skip: string[] = []): Promise<Source[]> {
  const out: Source[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (skip.includes(p)) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push({ name: relative(dir, p) || e.name, bytes: await readFile(p) });
    }
  };
  await walk(dir);
  return out;
}

import { crc32 } from 'node:zlib';
import { decodeFrame, encodeFrame, type Frame } from '../../protocol/line/frame.js';
import {
  compress,
  decodePayload,
  decompress,
  encodePayload,
  type PayloadEncoding,
} from '../../protocol/line/payload.js';
import { deflateToLength } from './deflate.js';

/**
 * Masking at record time, so a transcript can go to a vendor (SPEC.md s.9 says where secrets
 * can be; this covers every one of those places):
 *  - AUTH's MAC is zeroed: it proves the authority code for one session.
 *  - READ data of a store that may hold card data has every ASCII letter and digit replaced by
 *    "X" (PAN, expiry, track data, cardholder name). A store counts as such unless a STORES reply
 *    said `cardData: false` and none ever said true, so an erase read-back of a lying terminal,
 *    or a read of a store the agent never listed, is masked too.
 *  - READ data of every other store has any Luhn-valid 12-19 digit run replaced: a PAN where
 *    none belongs (a device log) must not leave either.
 *  - KEYS replies keep only slot, type and kcv: a check value is made to be shown, anything
 *    else a terminal put there might be key material.
 * Masking keeps every length, down to the DATA field on the wire (transcript/deflate.ts), so the
 * replayed agent asks for exactly the ranges it asked for when recorded. Store digests are not
 * rewritten here: replay recomputes them from the masked bytes (agent/replay/digests.ts).
 */
export const MASKED_MAC = '0'.repeat(64);
const MAX_INFLATE = 16 * 1024 * 1024;

export const MASKING_RULES: Record<string, string> = {
  authMac: 'zeroed',
  cardStoreData: 'ASCII letters and digits -> X',
  otherStoreData: 'Luhn-valid 12-19 digit runs -> X',
  keys: 'slot, type and kcv only',
  lengths: 'unchanged, DATA included',
};

/** Which stores may hold card data, for the whole transcript (every connection, every run). */
export class StoreFlags {
  private readonly card = new Set<string>();
  private readonly clear = new Set<string>();

  note(stores: unknown): void {
    if (!Array.isArray(stores)) return;
    for (const s of stores as { name?: unknown; cardData?: unknown }[]) {
      if (typeof s?.name !== 'string') continue;
      if (s.cardData === false) this.clear.add(s.name);
      else this.card.add(s.name);
    }
  }

  holdsCardData(store: string | undefined): boolean {
    return store === undefined || this.card.has(store) || !this.clear.has(store);
  }
}

/** Per link: the negotiated encoding and which store each READ in flight asked for. */
export class MaskSession {
  private enc: PayloadEncoding | undefined;
  private readonly reads = new Map<number, string>();

  constructor(private readonly flags: StoreFlags) {}

  /** The line to record (LF excluded) and what was masked in it. */
  mask(dir: 'out' | 'in', line: Buffer, given: Frame | undefined): { line: Buffer; masked?: string } {
    const decoded = given ? { ok: true as const, frame: given } : decodeFrame(line);
    if (!decoded.ok) return { line };
    const f = decoded.frame;
    if (dir === 'out') {
      if (f.type === 'READ' && typeof f.header.store === 'string') this.reads.set(f.seq, f.header.store);
      if (f.type === 'AUTH' && 'mac' in f.header) {
        return { line: reencode({ ...f, header: { ...f.header, mac: MASKED_MAC } }), masked: 'mac' };
      }
      return { line };
    }
    if (f.type === 'HELLO' && f.header.ok === true) {
      this.enc = f.header.enc === '8bit' ? '8bit' : 'b64';
    } else if (f.type === 'STORES') {
      this.flags.note(f.header.stores);
    } else if (f.type === 'KEYS' && f.header.ok === true) {
      return this.maskKeys(f, line);
    } else if (f.type === 'READ' && f.kind === 'R' && f.data && f.data.length > 0) {
      const store = this.reads.get(f.seq);
      this.reads.delete(f.seq);
      return this.maskRead(f, line, this.flags.holdsCardData(store));
    }
    return { line };
  }

  private maskKeys(f: Frame, line: Buffer): { line: Buffer; masked?: string } {
    const slots = Array.isArray(f.header.slots) ? (f.header.slots as Record<string, unknown>[]) : [];
    // A check value is 6 hex digits (SPEC.md s.6.14); anything longer could be a key. "masked"
    // is still malformed, so the replayed agent refuses the reply exactly as it did live.
    const kcv = (v: unknown) =>
      v === null || (typeof v === 'string' && /^[0-9A-Fa-f]{6}$/.test(v)) ? v : 'masked';
    const kept = {
      ok: true,
      slots: slots.map((s) => ({ slot: s?.slot, type: s?.type, kcv: kcv(s?.kcv) })),
    };
    if (JSON.stringify(kept) === JSON.stringify(f.header) && !f.data) return { line };
    return { line: reencode({ seq: f.seq, kind: f.kind, type: f.type, header: kept }), masked: 'keys' };
  }

  private maskRead(f: Frame, line: Buffer, cardData: boolean): { line: Buffer; masked?: string } {
    const what = cardData ? 'card-data' : 'pan';
    const data = f.data!;
    const payload = this.enc ? decodePayload(data, this.enc) : undefined;
    const z = f.header.z === 'deflate';
    const length = Math.min(Math.max(0, Number(f.header.length) || 0), MAX_INFLATE);
    const raw = payload && (z ? decompress(payload, length) : payload);
    // Bytes we cannot read are bytes we cannot vouch for: they are left out, not recorded.
    if (!raw || !this.enc) return { line: withData(line, Buffer.alloc(0)), masked: `${what};withheld` };
    const masked = cardData ? maskAlphanumerics(raw) : maskPans(raw);
    if (masked.equals(raw)) return { line };
    if (!z) return { line: withData(line, encodePayload(masked, this.enc)), masked: what };
    const fitted = deflateToLength(masked, this.enc, data.length);
    if (fitted) return { line: withData(line, encodePayload(fitted, this.enc)), masked: what };
    return { line: withData(line, encodePayload(compress(masked), this.enc)), masked: `${what};resized` };
  }
}

export function maskAlphanumerics(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) out[i] = 0x58;
  }
  return out;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

function luhnValid(digits: Buffer): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits[i]! - 0x30;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Replaces each maximal run of 12-19 ASCII digits that passes the Luhn check. */
export function maskPans(bytes: Buffer): Buffer {
  let out: Buffer | undefined;
  for (let i = 0; i < bytes.length;) {
    if (!isDigit(bytes[i])) {
      i++;
      continue;
    }
    let end = i;
    while (isDigit(bytes[end])) end++;
    if (end - i >= 12 && end - i <= 19 && luhnValid(bytes.subarray(i, end))) {
      out ??= Buffer.from(bytes);
      out.fill(0x58, i, end);
    }
    i = end;
  }
  return out ?? bytes;
}

function crcText(body: Buffer): string {
  return (crc32(body) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** The same head, new DATA, a CRC that fits: the recorded line stays a valid frame. */
function withData(line: Buffer, data: Buffer): Buffer {
  const tab = line.indexOf(0x09);
  const head = tab === -1 ? line.subarray(0, line.length - 9) : line.subarray(0, tab);
  const body = data.length > 0 ? Buffer.concat([head, Buffer.of(0x09), data]) : Buffer.from(head);
  return Buffer.concat([body, Buffer.from(`*${crcText(body)}`, 'latin1')]);
}

/** Replaces the seq of a recorded line and recomputes its CRC; every other byte stays. */
export function withSeq(line: Buffer, seq: string): Buffer {
  const body = Buffer.concat([Buffer.from(seq, 'latin1'), line.subarray(4, line.length - 9)]);
  return Buffer.concat([body, Buffer.from(`*${crcText(body)}`, 'latin1')]);
}

function reencode(f: Frame): Buffer {
  const bytes = encodeFrame(f, true);
  return bytes.subarray(0, bytes.length - 1);
}

import { crc32 } from 'node:zlib';
import { decodeFrame, encodeFrame, type Frame } from '../../protocol/line/frame.js';
import {
  compress,
  decodePayload,
  decompress,
  encodePayload,
  type PayloadEncoding,
} from '../../protocol/line/payload.js';
import { digitRuns, isAsciiDigit, luhnValid } from '../../protocol/card-digits.js';
import { findCardData } from '../../wipe/pci/patterns.js';
import { errorShape, replyShapes } from '../../protocol/line/replies.js';
import type { MessageType } from '../../protocol/line/messages.js';
import { keepKnown } from '../../protocol/line/shape.js';
import { deflateToLength } from './deflate.js';
import { Withholder } from './withhold.js';

/**
 * Masking at record time, so a transcript can go to a vendor (SPEC.md s.9 says where secrets
 * can be; this covers every one of those places):
 *  - AUTH's MAC is zeroed: it proves the authority code for one session.
 *  - READ data of a store that may hold card data is withheld entirely: every byte replaced by
 *    a filler (transcript/withhold.ts), whatever the encoding of what was there (ASCII, packed
 *    BCD, binary). A store counts as such unless a STORES reply said `cardData: false` and none
 *    ever said true, so an erase read-back of a lying terminal, or a read of a store the agent
 *    never listed, is withheld too.
 *  - READ data of every other store is kept, unless it holds what the PCI scanner recognises as
 *    card data (wipe/pci/patterns.ts), a Luhn-valid digit run, or the start of a card number cut
 *    by the reply's end: then that reply and every later one of the store are withheld too. A
 *    PAN where none belongs (a device log) must not leave, not even in two halves.
 *  - KEYS replies keep only slot, type and kcv: a check value is made to be shown, anything
 *    else a terminal put there might be key material.
 *  - Every answer and event keeps only the fields SPEC.md names for it: whatever else a terminal
 *    adds (a track-2 string in a STATUS field of its own) is the terminal's, unchecked, and the
 *    agent never reads it either, so replay is unchanged.
 * Masking keeps every length, down to the DATA field on the wire (transcript/deflate.ts), so the
 * replayed agent asks for exactly the ranges it asked for when recorded. Store digests are not
 * rewritten here: replay recomputes them from the masked bytes (agent/replay/digests.ts).
 */
export const MASKED_MAC = '0'.repeat(64);
const MAX_INFLATE = 16 * 1024 * 1024;

export const MASKING_RULES: Record<string, string> = {
  authMac: 'zeroed',
  cardStoreData: 'withheld: a filler byte per 4 KiB block, zeros kept',
  otherStoreData: 'kept; withheld like card data from the first reply that shows any',
  keys: 'slot, type and kcv only',
  unknownFields: 'left out of answers and events',
  lengths: 'unchanged, DATA included',
};

/** Which stores hold or may hold card data, for the whole transcript (every connection, every run). */
export class StoreFlags {
  private readonly card = new Set<string>();
  private readonly clear = new Set<string>();
  /** The filler of withheld READ data, for the whole transcript (it must see every read). */
  readonly withholder = new Withholder();

  note(stores: unknown): void {
    if (!Array.isArray(stores)) return;
    for (const s of stores as { name?: unknown; cardData?: unknown; size?: unknown }[]) {
      if (typeof s?.name !== 'string') continue;
      if (s.cardData === false) this.clear.add(s.name);
      else this.card.add(s.name);
      if (Number.isSafeInteger(s.size)) this.withholder.noteSize(s.name, s.size as number);
    }
  }

  holdsCardData(store: string | undefined): boolean {
    return store === undefined || this.card.has(store) || !this.clear.has(store);
  }

  /** Card data turned up in a store listed without it: it counts as holding card data from now on. */
  found(store: string): void {
    this.card.add(store);
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
      if (f.type === 'ERASE' && typeof f.header.store === 'string')
        this.flags.withholder.noteErase(f.header.store);
      if (f.type === 'AUTH' && 'mac' in f.header) {
        return { line: reencode({ ...f, header: { ...f.header, mac: MASKED_MAC } }), masked: 'mac' };
      }
      return { line };
    }
    // KEYS keeps slot, type and kcv anyway (maskKeys), whatever else a slot carries.
    const known = f.type === 'KEYS' ? undefined : knownFieldsOnly(f);
    if (!known) return this.maskIn(f, line);
    const inner = this.maskIn(known, reencode(known));
    return { line: inner.line, masked: inner.masked ? `fields;${inner.masked}` : 'fields' };
  }

  private maskIn(f: Frame, line: Buffer): { line: Buffer; masked?: string } {
    if (f.type === 'HELLO' && f.header.ok === true) {
      this.enc = f.header.enc === '8bit' ? '8bit' : 'b64';
    } else if (f.type === 'STORES') {
      this.flags.note(f.header.stores);
    } else if (f.type === 'KEYS' && f.header.ok === true) {
      return this.maskKeys(f, line);
    } else if (f.type === 'READ' && f.kind === 'R' && f.data && f.data.length > 0) {
      const store = this.reads.get(f.seq);
      this.reads.delete(f.seq);
      return this.maskRead(f, line, store);
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

  /**
   * READ data is kept as it is, or withheld whole: never partly masked, so the DATA field can
   * always keep its length (a filler compresses better than anything it replaces).
   */
  private maskRead(f: Frame, line: Buffer, store: string | undefined): { line: Buffer; masked?: string } {
    const data = f.data!;
    const payload = this.enc ? decodePayload(data, this.enc) : undefined;
    const z = f.header.z === 'deflate';
    const length = Math.min(Math.max(0, Number(f.header.length) || 0), MAX_INFLATE);
    const raw = payload && (z ? decompress(payload, length) : payload);
    // Bytes we cannot read are bytes we cannot vouch for: they are left out, not recorded.
    if (!raw || !this.enc) return { line: withData(line, Buffer.alloc(0)), masked: 'card-data;withheld' };
    if (!this.flags.holdsCardData(store)) {
      if (!revealsCardData(raw)) return { line };
      // Card data where the terminal said there is none: this store is withheld from now on.
      if (store !== undefined) this.flags.found(store);
    }
    const offset = Number(f.header.offset);
    const filler =
      store !== undefined && Number.isSafeInteger(offset)
        ? this.flags.withholder.fill(store, offset, raw)
        : Buffer.alloc(raw.length, 0x58);
    if (filler.equals(raw)) return { line };
    const what = 'card-data;withheld';
    if (!z)
      return {
        line: withData(line, encodePayload(escapedAsMuch(filler, raw, this.enc), this.enc)),
        masked: what,
      };
    const fitted = deflateToLength(filler, this.enc, data.length);
    if (fitted) return { line: withData(line, encodePayload(fitted, this.enc)), masked: what };
    return { line: withData(line, encodePayload(compress(filler), this.enc)), masked: `${what};resized` };
  }
}

/** Fields each event carries (SPEC.md s.6.19); an event of another type keeps none. */
const EVENT_FIELDS: Record<string, readonly string[]> = {
  PROGRESS: ['op', 'done', 'total'],
  TAMPER: ['detail'],
  BATTERY: ['percent', 'charging'],
  CARD: ['channel'],
};

/** The frame with only the fields the protocol names, or undefined when it has no others. */
function knownFieldsOnly(f: Frame): Frame | undefined {
  if (f.kind === 'E') {
    const names = EVENT_FIELDS[f.type] ?? [];
    const kept = Object.fromEntries(Object.entries(f.header).filter(([k]) => names.includes(k)));
    return Object.keys(kept).length === Object.keys(f.header).length ? undefined : { ...f, header: kept };
  }
  if (f.kind !== 'R' || !Object.hasOwn(replyShapes, f.type)) return undefined;
  const { ok, ...fields } = f.header;
  if (ok !== true && ok !== false) return undefined;
  const dropped = { count: 0 };
  const shape = ok ? replyShapes[f.type as MessageType] : errorShape;
  const kept = keepKnown(shape, fields, dropped) as Record<string, unknown>;
  return dropped.count === 0 ? undefined : { ...f, header: { ok, ...kept } };
}

/** 8bit escapes NUL, LF, CR and "=" (s.4): bytes of the filler that keep the DATA field's length. */
const ESCAPED = new Set([0x00, 0x0a, 0x0d, 0x3d]);
const ESCAPES = [0x00, 0x0a, 0x0d, 0x3d];
/** Bytes 8bit sends as they are, all 252 of them, to put in place of an escaped one. */
const PLAIN = Array.from({ length: 256 }, (_, b) => b).filter((b) => !ESCAPED.has(b));

/**
 * Uncompressed DATA in 8bit is one byte per byte plus one per escaped byte: the filler gets as
 * many escaped bytes as the data had, changed from the end of the reply, so the field keeps its
 * length (what the agent sizes its next READ by). That says how many such bytes there were,
 * nothing of where or which. The bytes put in cycle through the escaped (or the plain) values by
 * position, so a withheld pattern keeps its byte frequencies balanced (withhold.ts).
 */
function escapedAsMuch(filler: Buffer, raw: Buffer, enc: PayloadEncoding): Buffer {
  if (enc !== '8bit') return filler;
  let missing = 0;
  for (let i = 0; i < raw.length; i++)
    missing += (ESCAPED.has(raw[i]!) ? 1 : 0) - (ESCAPED.has(filler[i]!) ? 1 : 0);
  const out = Buffer.from(filler);
  for (let i = out.length - 1; i >= 0 && missing !== 0; i--) {
    const escaped = ESCAPED.has(out[i]!);
    if (missing > 0 && !escaped) {
      out[i] = ESCAPES[i % ESCAPES.length]!;
      missing--;
    } else if (missing < 0 && escaped) {
      out[i] = PLAIN[i % PLAIN.length]!;
      missing++;
    }
  }
  return out;
}

/**
 * Does this READ data of a store said to hold no card data hold some after all: what the PCI
 * scanner recognises (wipe/pci/patterns.ts), any Luhn-valid run of 12-19 digits, or the start
 * of a card number cut by the reply's end (7 or more digits from a card's first digit, 2-6, or
 * an EMV tag 5A or 57 whose value runs past the end)? The rest of such a number is at the start
 * of the next reply, which is withheld because this one was.
 */
export function revealsCardData(bytes: Buffer): boolean {
  if (findCardData(bytes).length > 0) return true;
  for (const { start, end } of digitRuns(bytes)) {
    if (end - start >= 12 && end - start <= 19 && luhnValid(bytes.toString('latin1', start, end)))
      return true;
  }
  let tail = bytes.length;
  while (
    tail > 0 &&
    (isAsciiDigit(bytes[tail - 1]) ||
      ((bytes[tail - 1] === 0x20 || bytes[tail - 1] === 0x2d) && isAsciiDigit(bytes[tail - 2])))
  )
    tail--;
  const cut = bytes.toString('latin1', tail).replace(/[ -]/g, '');
  if (cut.length >= 7 && /^[2-6]/.test(cut)) return true;
  for (let i = Math.max(0, bytes.length - 21); i + 1 < bytes.length; i++) {
    const n = bytes[i + 1]!;
    if ((bytes[i] === 0x5a || bytes[i] === 0x57) && n >= 7 && n <= 19 && i + 2 + n > bytes.length)
      return true;
  }
  return false;
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

import { digitRuns, luhnValid } from '../../card-digits.js';
import { CardData, cardBytesForEncode, type CardDataKind } from './card-data.js';
import type { Bmp } from './bmp.js';
import { decodeMessage, encodeMessage, type Message, type PrefixField } from './message.js';
import type { DecodeContext } from './prefixes.js';
import { childrenOf, rawValue, type TlvContent, type TlvNode } from './tlv.js';

/**
 * A copy of an APDU that can be shared (a `--record` transcript), with every secret masked and
 * every length kept, so it still decodes the same way and still replays:
 *
 *   password (untagged, 3 BCD)       -> 00 00 00
 *   card data (BMP 22, 23, 24, 2D, 3A, 3D; TLV 5A, 57, 56, 9F6B, 5F20, 9F1F, 9F20)
 *                                     -> digits past the first 6 and last 4 of a PAN become E
 *                                        (ZVT's own "masked digit" nibble); track data past its
 *                                        separator and secrets become E / 00
 *   Read File data (TLV 2D/1C)        -> a file that may hold card data: withheld, every byte
 *                                        X (no encoding of card data, ASCII or packed BCD,
 *                                        survives); any other file: Luhn-valid 12-19 digit
 *                                        runs become X
 *   free text (print lines, text-block lines, opaque bytes)
 *                                     -> the middle of any run of 12+ ASCII digits becomes *
 */
export interface ApduMaskOptions extends DecodeContext {
  /** Whether a file's content (by file-id) may hold card data. */
  fileHoldsCardData: (fileId: number) => boolean;
}

export interface MaskedApdu {
  bytes: Buffer;
  /** What was masked ('password', 'card-data', 'file-data', 'text'); empty when nothing. */
  masked: string[];
}

export function maskApdu(apdu: Buffer, o: ApduMaskOptions): MaskedApdu {
  const decoded = decodeMessage(apdu, o);
  const masked = new Set<string>();
  if (!decoded.ok) {
    const bytes = scrubDigitBytes(apdu);
    if (!bytes.equals(apdu)) masked.add('text');
    return { bytes, masked: [...masked] };
  }
  const m = decoded.message;
  const out: Message = {
    ...m,
    prefix: m.prefix.map((f) => maskPrefix(f, masked)),
    bmps: m.bmps.map((b) => maskBmp(b, o, masked)),
    rest: m.rest && scrubNoting(m.rest, masked),
  };
  const bytes = encodeMessage(out);
  // Masking never changes a length; if it somehow did, the frame is withheld rather than kept.
  if (bytes.length !== apdu.length) return { bytes: Buffer.alloc(apdu.length), masked: ['withheld'] };
  return { bytes, masked: [...masked] };
}

function maskPrefix(f: PrefixField, masked: Set<string>): PrefixField {
  if (f.name === 'password') {
    masked.add('password');
    return { name: f.name, bytes: Buffer.alloc(f.bytes.length) };
  }
  if (f.name === 'text') return { name: f.name, bytes: scrubNoting(f.bytes, masked) };
  return f;
}

function maskBmp(b: Bmp, o: ApduMaskOptions, masked: Set<string>): Bmp {
  switch (b.kind) {
    case 'card':
      masked.add('card-data');
      return { ...b, card: maskCard(b.card) };
    case 'tlv':
      return { ...b, nodes: b.nodes.map((n) => maskNode(n, o, masked, undefined)) };
    case 'tlv-raw':
      return { ...b, bytes: scrubNoting(b.bytes, masked) };
    case 'plain':
      return b;
  }
}

function maskNode(n: TlvNode, o: ApduMaskOptions, masked: Set<string>, fileId: number | undefined): TlvNode {
  const content = n.content;
  if (content.kind === 'card') {
    masked.add('card-data');
    return { ...n, content: { kind: 'card', card: maskCard(content.card) } };
  }
  if (content.kind === 'nodes') {
    const id = n.tag === 0x2d ? fileIdOf(childrenOf(n)) : fileId;
    return { ...n, content: { kind: 'nodes', nodes: content.nodes.map((c) => maskNode(c, o, masked, id)) } };
  }
  if (n.tag === 0x1c && fileId !== undefined) {
    const bytes = o.fileHoldsCardData(fileId) ? withheld(content.bytes) : maskPans(content.bytes);
    if (!bytes.equals(content.bytes)) masked.add('file-data');
    return { ...n, content: { kind: 'raw', bytes } satisfies TlvContent };
  }
  return { ...n, content: { kind: 'raw', bytes: scrubNoting(content.bytes, masked) } };
}

function fileIdOf(nodes: TlvNode[]): number | undefined {
  const id = nodes.find((c) => c.tag === 0x1d);
  const v = id ? rawValue(id) : undefined;
  return v && v.length === 1 ? v[0] : undefined;
}

/** Card data of the same length: digits ZVT's way masked (E), a PAN keeps its first 6 and last 4. */
function maskCard(card: CardData): CardData {
  const bytes = cardBytesForEncode(card);
  return new CardData(card.kind, maskCardBytes(card.kind, bytes));
}

export function maskCardBytes(kind: CardDataKind, bytes: Buffer): Buffer {
  if (kind === 'secret') return Buffer.alloc(bytes.length);
  const nibbles = bytes.toString('hex').toUpperCase().split('');
  const sep = kind === 'track2' ? nibbles.indexOf('D') : -1;
  let panEnd = sep === -1 ? nibbles.length : sep;
  if (sep === -1) while (panEnd > 0 && nibbles[panEnd - 1] === 'F') panEnd--;
  const head = panEnd >= 13 ? 6 : 0;
  const tail = panEnd >= 9 ? 4 : 0;
  const out = nibbles.map((d, i) => {
    if (i < panEnd) return i < head || i >= panEnd - tail || !/\d/.test(d) ? d : 'E';
    // Track data after the separator (expiry, service code, discretionary data) is never kept.
    return sep !== -1 && i > sep && d !== 'F' ? 'E' : d;
  });
  return Buffer.from(out.join(''), 'hex');
}

function scrubNoting(bytes: Buffer, masked: Set<string>): Buffer {
  const out = scrubDigitBytes(bytes);
  if (!out.equals(bytes)) masked.add('text');
  return out;
}

/** The middle of every run of 12+ ASCII digits becomes '*' (first 6 and last 4 kept), as on a receipt. */
export function scrubDigitBytes(bytes: Buffer): Buffer {
  let out: Buffer | undefined;
  for (const { start, end } of digitRuns(bytes)) {
    if (end - start < 12) continue;
    out ??= Buffer.from(bytes);
    out.fill(0x2a, start + 6, end - 4);
  }
  return out ?? bytes;
}

/**
 * A card-data file's content, withheld: the same length, every byte X. A pattern would miss
 * packed BCD and other encodings (the line protocol's transcripts withhold the same way). Both
 * reads of a file are withheld alike, so a replayed backup's two reads still agree; a deleted
 * file is read as gone, not as content, so a replayed delete verification is not affected.
 */
export function withheld(bytes: Buffer): Buffer {
  return Buffer.alloc(bytes.length, 0x58);
}

/** Each maximal run of 12-19 ASCII digits that passes the Luhn check becomes X. */
export function maskPans(bytes: Buffer): Buffer {
  let out: Buffer | undefined;
  for (const { start, end } of digitRuns(bytes)) {
    if (end - start < 12 || end - start > 19 || !luhnValid(bytes.toString('latin1', start, end))) continue;
    out ??= Buffer.from(bytes);
    out.fill(0x58, start, end);
  }
  return out ?? bytes;
}

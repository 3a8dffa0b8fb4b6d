import { CardData, cardBytesForEncode, type CardDataKind } from './card-data.js';

/**
 * BER-TLV as ZVT uses it inside BMP 06 (PA00P015 ch. 9): tags of one or more bytes (a first byte
 * with low bits 1F continues while bit 8 is set), lengths < 80, 81 xx, 82 hi lo (and 83 for
 * completeness). A constructed tag (bit 6 of the first byte) is decoded into children only when
 * its content parses as TLV and re-encodes to the same bytes; otherwise it stays raw: Feig's
 * FF40/FF41 carry the constructed bit but hold plain bytes. Length forms are kept, so a sender's
 * non-minimal `81 05` comes back as `81 05`.
 */
export type TlvContent =
  { kind: 'raw'; bytes: Buffer } | { kind: 'nodes'; nodes: TlvNode[] } | { kind: 'card'; card: CardData };

export interface TlvNode {
  /** The tag bytes read as a big-endian number: 0x1F44, 0xE4, 0xFF40. */
  tag: number;
  tagBytes: number;
  /** Bytes the length took on the wire: 1 (short form) to 4 (83 xx xx xx). */
  lengthBytes: number;
  content: TlvContent;
}

/** EMV data objects that carry card numbers or track data if a terminal passes them through. */
const CARD_TAGS: ReadonlyMap<number, CardDataKind> = new Map([
  [0x5a, 'pan'],
  [0x57, 'track2'],
  [0x56, 'secret'],
  [0x9f6b, 'track2'],
  [0x5f20, 'secret'],
  [0x9f1f, 'secret'],
  [0x9f20, 'secret'],
]);

/** Deeper nesting than this is treated as raw bytes: no terminal nests that far, a hostile one might. */
const MAX_DEPTH = 12;

export function isConstructed(tag: number, tagBytes: number): boolean {
  return ((tag >>> ((tagBytes - 1) * 8)) & 0x20) !== 0;
}

/** A list of TLV objects filling `buf` exactly, or undefined. */
export function parseTlvList(buf: Buffer, depth = 0): TlvNode[] | undefined {
  const nodes: TlvNode[] = [];
  let at = 0;
  while (at < buf.length) {
    const node = parseOne(buf, at, depth);
    if (!node) return undefined;
    nodes.push(node.node);
    at = node.next;
  }
  return nodes;
}

function parseOne(buf: Buffer, start: number, depth: number): { node: TlvNode; next: number } | undefined {
  let at = start;
  const first = buf[at++];
  if (first === undefined) return undefined;
  let tag = first;
  let tagBytes = 1;
  if ((first & 0x1f) === 0x1f) {
    for (;;) {
      const b = buf[at++];
      if (b === undefined || tagBytes >= 4) return undefined;
      tag = tag * 256 + b;
      tagBytes++;
      if ((b & 0x80) === 0) break;
    }
  }
  const lb = buf[at++];
  if (lb === undefined || lb === 0x80 || lb > 0x83) return undefined;
  let length = lb;
  let lengthBytes = 1;
  if (lb > 0x80) {
    const n = lb & 0x7f;
    if (at + n > buf.length) return undefined;
    length = buf.readUIntBE(at, n);
    lengthBytes = n + 1;
    at += n;
  }
  if (at + length > buf.length) return undefined;
  const value = buf.subarray(at, at + length);
  return {
    node: { tag, tagBytes, lengthBytes, content: contentOf(tag, tagBytes, value, depth) },
    next: at + length,
  };
}

function contentOf(tag: number, tagBytes: number, value: Buffer, depth: number): TlvContent {
  const card = CARD_TAGS.get(tag);
  if (card) return { kind: 'card', card: new CardData(card, value) };
  if (isConstructed(tag, tagBytes) && value.length > 0 && depth < MAX_DEPTH) {
    const nodes = parseTlvList(value, depth + 1);
    if (nodes && encodeTlvList(nodes).equals(value)) return { kind: 'nodes', nodes };
  }
  return { kind: 'raw', bytes: Buffer.from(value) };
}

function contentBytes(c: TlvContent): Buffer {
  switch (c.kind) {
    case 'raw':
      return c.bytes;
    case 'card':
      return cardBytesForEncode(c.card);
    case 'nodes':
      return encodeTlvList(c.nodes);
  }
}

/** BER length in `form` bytes (0 = the minimal form). */
export function encodeBerLength(length: number, form = 0): Buffer {
  const minimal = length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 4;
  const bytes = Math.max(form, minimal);
  if (bytes === 1) return Buffer.from([length]);
  const out = Buffer.alloc(bytes);
  out[0] = 0x80 | (bytes - 1);
  out.writeUIntBE(length, 1, bytes - 1);
  return out;
}

/** Reads a BER length at `at`: the BMP 06 container uses the same forms as TLV lengths. */
export function readBerLength(buf: Buffer, at: number): { length: number; lengthBytes: number } | undefined {
  const lb = buf[at];
  if (lb === undefined || lb === 0x80 || lb > 0x83) return undefined;
  if (lb < 0x80) return { length: lb, lengthBytes: 1 };
  const n = lb & 0x7f;
  if (at + 1 + n > buf.length) return undefined;
  return { length: buf.readUIntBE(at + 1, n), lengthBytes: n + 1 };
}

export function encodeTlvNode(node: TlvNode): Buffer {
  const tag = Buffer.alloc(node.tagBytes);
  tag.writeUIntBE(node.tag, 0, node.tagBytes);
  const value = contentBytes(node.content);
  return Buffer.concat([tag, encodeBerLength(value.length, node.lengthBytes), value]);
}

export function encodeTlvList(nodes: readonly TlvNode[]): Buffer {
  return Buffer.concat(nodes.map(encodeTlvNode));
}

/** Builders for messages we compose (the simulator's replies, the ECR's commands): minimal forms. */
export function tlv(tag: number, value: Buffer | TlvNode[]): TlvNode {
  const tagBytes = tag > 0xffffff ? 4 : tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
  const content: TlvContent = Buffer.isBuffer(value)
    ? CARD_TAGS.has(tag)
      ? { kind: 'card', card: new CardData(CARD_TAGS.get(tag) ?? 'secret', value) }
      : { kind: 'raw', bytes: value }
    : { kind: 'nodes', nodes: value };
  return { tag, tagBytes, lengthBytes: 0, content };
}

/** Children of a node (none when its content is raw). */
export function childrenOf(node: TlvNode): TlvNode[] {
  return node.content.kind === 'nodes' ? node.content.nodes : [];
}

/** The value bytes of a non-card node. Card content is not handed out: use its masked form. */
export function rawValue(node: TlvNode): Buffer | undefined {
  if (node.content.kind === 'raw') return node.content.bytes;
  if (node.content.kind === 'nodes') return encodeTlvList(node.content.nodes);
  return undefined;
}

export function findAll(nodes: readonly TlvNode[], tag: number): TlvNode[] {
  return nodes.filter((n) => n.tag === tag);
}

export function findFirst(nodes: readonly TlvNode[], tag: number): TlvNode | undefined {
  return nodes.find((n) => n.tag === tag);
}

/** Follows a path of tags, first match at each level: findPath(nodes, [0xe4, 0x1f40]). */
export function findPath(nodes: readonly TlvNode[], path: readonly number[]): TlvNode | undefined {
  let level: readonly TlvNode[] = nodes;
  let found: TlvNode | undefined;
  for (const tag of path) {
    found = findFirst(level, tag);
    if (!found) return undefined;
    level = childrenOf(found);
  }
  return found;
}

export function tagName(node: Pick<TlvNode, 'tag' | 'tagBytes'>): string {
  return node.tag
    .toString(16)
    .toUpperCase()
    .padStart(node.tagBytes * 2, '0');
}

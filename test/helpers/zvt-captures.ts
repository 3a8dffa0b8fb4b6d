import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bcdToNumber,
  bmpValue,
  childrenOf,
  decodeText,
  encodeData,
  findAll,
  findBmp,
  findFirst,
  hex,
  nibbles,
  rawValue,
  tlvOf,
  trimNul,
  type Message,
  type TlvNode,
} from '../../protocol/zvt/codec/index.js';

/**
 * Where the shared ZVT captures live and what their manifest's `at` paths mean. The folder is
 * `POSDECOM_ZVT_CAPTURES`, else `../shared/zvt-captures` beside the repository: beside this
 * checkout, or, in a git worktree, beside the main checkout it belongs to.
 */
export interface ExpectItem {
  field: string;
  at: string;
  value: unknown;
  masked?: string;
}

export interface ManifestEntry {
  name: string;
  sha256: string;
  bytes: number;
  class_instr: string;
  decode_as: 'bmp' | 'status-enquiry-completion' | 'vendor-opaque';
  expect: ExpectItem[];
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function captureCandidates(): string[] {
  const env = process.env.POSDECOM_ZVT_CAPTURES;
  if (env) return [resolve(env)];
  const out = [resolve(repoRoot, '..', 'shared', 'zvt-captures')];
  const dotGit = join(repoRoot, '.git');
  try {
    // A worktree's .git is a file: "gitdir: /path/main/.git/worktrees/name".
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    const gitdir = m?.[1]?.trim();
    if (gitdir) {
      const abs = isAbsolute(gitdir) ? gitdir : resolve(repoRoot, gitdir);
      const at = abs.lastIndexOf('/.git');
      if (at > 0) out.push(resolve(abs.slice(0, at), '..', 'shared', 'zvt-captures'));
    }
  } catch {
    // .git is a directory (a plain checkout) or absent: only the first candidate applies.
  }
  return out;
}

export function findCaptures(): string | undefined {
  return captureCandidates().find((d) => existsSync(join(d, 'manifest.json')));
}

const ascii = (b: Buffer) => trimNul(decodeText(b));
const uint = (b: Buffer | undefined) =>
  b && b.length > 0 && b.length <= 6 ? b.readUIntBE(0, b.length) : null;

/** The decoded value at `item.at`; null when the field is absent. */
export function resolveAt(item: ExpectItem, m: Message): unknown {
  const at = item.at;
  if (at.startsWith('LEN')) return encodeData(m).length;
  if (at.startsWith('data: LLLVAR')) return prefixText(m, 'swVersion');
  if (at.startsWith('data: byte after sw-version')) return prefixByte(m, 'terminalStatus');
  if (m.layout === 'opaque') return opaqueAt(at, m.rest ?? Buffer.alloc(0));
  const data = /^data\[(\d+)(?::(\d+))?\]/.exec(at);
  if (data)
    return prefixAt(m, Number(data[1]), data[2] === undefined ? 1 : Number(data[2]) - Number(data[1]), at);
  const bmp = /^BMP ([0-9A-F]{2})(.*)$/.exec(at);
  if (!bmp) throw new Error(`no reading for '${at}'`);
  const id = parseInt(bmp[1] ?? '', 16);
  if (id === 0x06 && (bmp[2] ?? '').startsWith(' > '))
    return tlvAt((bmp[2] ?? '').slice(3), tlvOf(m), item.field);
  const found = findBmp(m.bmps, id);
  if (!found) return null;
  const v = bmpValue(found);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return trimNul(v);
  if (Array.isArray(v)) return v.length;
  if ('marker' in v) return 0xffff;
  if ('groups' in v) {
    const out: Record<string, number | null> = {
      receipt_no_start: v.receiptFrom,
      receipt_no_end: v.receiptTo,
    };
    for (const g of v.groups) {
      out[`${g.name}_num`] = g.count;
      out[`${g.name}_total`] = g.total;
    }
    return out;
  }
  return 'hex' in v ? v.hex : v.masked;
}

function prefixText(m: Message, name: string): string | null {
  const f = m.prefix.find((p) => p.name === name);
  return f ? ascii(f.bytes) : null;
}

function prefixByte(m: Message, name: string): number | null {
  return m.prefix.find((p) => p.name === name)?.bytes[0] ?? null;
}

/** Untagged fields by their byte position in the data, as the manifest gives them. */
function prefixAt(m: Message, offset: number, size: number, at: string): unknown {
  let pos = 0;
  for (const f of m.prefix) {
    const head = f.name === 'swVersion' ? 3 : 0;
    if (pos + head === offset && f.bytes.length === size) {
      return at.includes('BCD') ? bcdToNumber(f.bytes) : size === 1 ? (f.bytes[0] ?? null) : hex(f.bytes);
    }
    pos += head + f.bytes.length;
  }
  return null;
}

/** Feig's reply to 0F A1: device-id, sw, TID at fixed positions, then [battery(4)] temperature. */
function opaqueAt(at: string, data: Buffer): unknown {
  if (at.startsWith('data (optional 3-byte BCD)'))
    return data.length > 2 ? bcdToNumber(data.subarray(2, 5)) : null;
  if (at.startsWith('last 3 or 4 bytes')) {
    const tail = data.subarray(33);
    return ascii(tail.length > 4 ? tail.subarray(4) : tail);
  }
  const r = /^data\[(\d+):(\d+)\]/.exec(at);
  if (!r) throw new Error(`no reading for '${at}'`);
  const [from, to] = [Number(r[1]), Number(r[2])];
  if (at.includes('only if more than 4 bytes follow'))
    return data.length - from > 4 ? ascii(data.subarray(from, to)) : '';
  if (at.includes('big-endian u16')) return data.readUInt16BE(from);
  return ascii(data.subarray(from, to));
}

function tlvAt(path: string, nodes: TlvNode[], field: string): unknown {
  if (path.startsWith('2D (repeated) > [1D')) {
    return findAll(nodes, 0x2d).map((n) => [0x1d, 0x1f00].map((t) => uint(valueOf(childrenOf(n), t))));
  }
  if (path.startsWith('34 > 1F0E')) {
    const dt = findFirst(nodes, 0x34);
    if (!dt) return null;
    const c = childrenOf(dt);
    const d = nibbles(valueOf(c, 0x1f0e) ?? Buffer.alloc(0));
    const t = nibbles(valueOf(c, 0x1f0f) ?? Buffer.alloc(0));
    return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}`;
  }
  if (path.startsWith('62 > 60 (repeated) > 43')) {
    const outer = findFirst(nodes, 0x62);
    return findAll(outer ? childrenOf(outer) : [], 0x60).map((n) => ({
      application_id: hex(valueOf(childrenOf(n), 0x43) ?? Buffer.alloc(0)),
      card_type: hex(valueOf(childrenOf(n), 0x41) ?? Buffer.alloc(0)),
    }));
  }
  const segments = path.split(' > ');
  let level = nodes;
  for (const seg of segments.slice(0, -1)) {
    const n = findFirst(level, parseInt(seg, 16));
    if (!n) return null;
    level = childrenOf(n);
  }
  const last = segments[segments.length - 1] ?? '';
  const tag = parseInt(last, 16);
  if (last.includes('(repeated')) return findAll(level, tag).length;
  const nth = /#(\d+)/.exec(last);
  const node = nth ? findAll(level, tag)[Number(nth[1]) - 1] : findFirst(level, tag);
  const b = node ? rawValue(node) : undefined;
  if (!b) return null;
  const slice = /\[(\d+)(?::(\d+))?\]/.exec(last);
  if (slice) {
    const from = Number(slice[1]);
    const part = b.subarray(from, slice[2] === undefined ? from + 1 : Number(slice[2]));
    return field.endsWith('_ip') ? [...part].join('.') : uint(part);
  }
  if (last.includes('hex')) return hex(b);
  if (last.includes('ASCII')) return ascii(b);
  if (last.includes('BCD')) return bcdToNumber(b);
  if (last.includes('TLV length')) return b.length;
  return uint(b);
}

function valueOf(nodes: TlvNode[], tag: number): Buffer | undefined {
  const n = findFirst(nodes, tag);
  return n ? rawValue(n) : undefined;
}

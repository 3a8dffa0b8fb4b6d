import { decodeFrame, encodeFrame, type Frame } from '../protocol/frame.js';
import {
  compress,
  decodePayload,
  decompress,
  encodePayload,
  type PayloadEncoding,
} from '../protocol/payload.js';

/**
 * Masking at record time, so a transcript can go to a vendor:
 *  - AUTH's MAC is replaced (it proves the authority code for one session; never share it);
 *  - READ data of stores that hold card data has every ASCII digit replaced by "X", and the
 *    frame is re-encoded with a fresh CRC, so it still parses and replays.
 * Masking keeps lengths, so offsets and sizes in the conversation stay true.
 */
export interface MaskState {
  cardStores: Set<string>;
  /** Outgoing READ seq -> store name, to know which replies carry card data. */
  pendingReads: Map<number, string>;
  enc?: PayloadEncoding;
}

export const MASKED_MAC = '0'.repeat(64);

function maskDigits(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x30 && out[i]! <= 0x39) out[i] = 0x58;
  return out;
}

export function maskFrame(dir: 'out' | 'in', line: Buffer, frame: Frame | undefined, s: MaskState): Buffer {
  const f =
    frame ??
    (() => {
      const d = decodeFrame(line);
      return d.ok ? d.frame : undefined;
    })();
  if (!f) return line;
  if (dir === 'out' && f.type === 'AUTH' && typeof f.header.mac === 'string') {
    return encodeFrame({ ...f, header: { ...f.header, mac: MASKED_MAC } }, true).subarray(0, -1);
  }
  if (dir === 'out' && f.type === 'READ' && typeof f.header.store === 'string') {
    s.pendingReads.set(f.seq, f.header.store);
    return line;
  }
  if (dir === 'in' && f.type === 'HELLO' && f.header.ok === true) {
    s.enc = f.header.enc === '8bit' ? '8bit' : 'b64';
    return line;
  }
  if (dir === 'in' && f.type === 'STORES' && Array.isArray(f.header.stores)) {
    for (const st of f.header.stores as { name?: unknown; cardData?: unknown }[]) {
      if (typeof st.name === 'string' && st.cardData === true) s.cardStores.add(st.name);
    }
    return line;
  }
  if (dir === 'in' && f.type === 'READ' && f.kind === 'R') {
    const store = s.pendingReads.get(f.seq);
    s.pendingReads.delete(f.seq);
    if (!store || !s.cardStores.has(store) || !f.data || !s.enc) return line;
    const decoded = decodePayload(f.data, s.enc);
    if (!decoded) return line;
    const z = f.header.z === 'deflate';
    const raw = z ? decompress(decoded, Number(f.header.length) || 0) : decoded;
    if (!raw) return line;
    const masked = maskDigits(raw);
    const data = encodePayload(z ? compress(masked) : masked, s.enc);
    return encodeFrame({ ...f, data }, true).subarray(0, -1);
  }
  return line;
}

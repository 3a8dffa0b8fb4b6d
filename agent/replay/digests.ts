import { createHash, type Hash } from 'node:crypto';
import { decodePayload, decompress, type PayloadEncoding } from '../../protocol/line/payload.js';
import type { ScriptRun } from './script.js';

/**
 * Masking changes the bytes of a store but not the sha256 its STORES entry reports (that digest
 * is of the terminal's real content), so a replayed backup would fail its digest check. Replay
 * therefore serves, for each store content the recording read in full, the digest of the bytes
 * as recorded. A content is named by the digest the terminal reported for it: every READ reply
 * belongs to the content the latest STORES reply described for that store, across sessions and
 * runs, until an ERASE of that store starts a new one. So a store cut off mid-backup in one run
 * and read in full by the `--resume` run is put together from both.
 */
interface Content {
  size: number;
  hash: Hash | undefined;
  /** Bytes hashed so far, from offset 0; overlapping re-reads are skipped. */
  next: number;
  done?: string;
}

export class DigestRepair {
  private readonly served = new Map<string, string>();

  constructor(runs: readonly ScriptRun[]) {
    const contents = new Map<string, Content>();
    const current = new Map<string, string>();
    for (const run of runs) {
      for (const session of run.sessions) {
        let enc: PayloadEncoding | undefined;
        const reads = new Map<number, string>();
        for (const { dir, frame: f } of session.frames) {
          const h = f.header;
          if (dir === 'out') {
            if (f.type === 'READ' && typeof h.store === 'string') reads.set(f.seq, h.store);
            if (f.type === 'ERASE' && typeof h.store === 'string') current.delete(h.store);
            continue;
          }
          if (f.kind !== 'R' || h.ok !== true) continue;
          if (f.type === 'HELLO') enc = h.enc === '8bit' ? '8bit' : 'b64';
          if (f.type === 'STORES' && Array.isArray(h.stores)) {
            for (const s of h.stores as { name?: unknown; sha256?: unknown; size?: unknown }[]) {
              if (typeof s.name !== 'string' || typeof s.sha256 !== 'string' || !Number.isSafeInteger(s.size))
                continue;
              const key = `${s.name}\n${s.sha256}`;
              current.set(s.name, key);
              if (!contents.has(key)) contents.set(key, { size: s.size as number, hash: undefined, next: 0 });
            }
          }
          if (f.type === 'READ' && f.data && enc) {
            const store = reads.get(f.seq);
            const key = store === undefined ? undefined : current.get(store);
            const content = key === undefined ? undefined : contents.get(key);
            const payload = decodePayload(f.data, enc);
            const length = Number(h.length) || 0;
            const bytes = payload && (h.z === 'deflate' ? decompress(payload, length) : payload);
            if (content && bytes) add(content, Number(h.offset), bytes);
          }
        }
      }
    }
    for (const [key, c] of contents) if (c.done) this.served.set(key, c.done);
  }

  /** The STORES header to serve: each digest replaced by that of the recorded bytes, when known. */
  repair(header: Record<string, unknown>): Record<string, unknown> | undefined {
    if (!Array.isArray(header.stores)) return undefined;
    let changed = false;
    const stores = (header.stores as Record<string, unknown>[]).map((s) => {
      const digest = this.served.get(`${String(s?.name)}\n${String(s?.sha256)}`);
      if (digest === undefined || digest === s.sha256) return s;
      changed = true;
      return { ...s, sha256: digest };
    });
    return changed ? { ...header, stores } : undefined;
  }
}

function add(c: Content, offset: number, bytes: Buffer): void {
  if (c.done || !Number.isSafeInteger(offset)) return;
  if (offset > c.next) {
    // A gap: this content can only be completed by a read that starts again from 0.
    c.hash = undefined;
    c.next = 0;
    return;
  }
  if (offset === 0 && !c.hash) c.hash = createHash('sha256');
  if (!c.hash || offset + bytes.length <= c.next) return;
  c.hash.update(bytes.subarray(c.next - offset));
  c.next = offset + bytes.length;
  if (c.next >= c.size) c.done = c.hash.digest('hex');
}

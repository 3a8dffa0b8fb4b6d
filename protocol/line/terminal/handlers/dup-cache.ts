/**
 * Duplicate suppression (SPEC.md s.7.4): the last 256 requests answered in this session, by
 * seq and CRC, with the exact response bytes. A retransmitted request is answered from here
 * and not executed again: that is what keeps a retransmitted ERASE from erasing twice.
 *
 * 256 cached READ responses at the largest line length would be 64 MB, so response bytes are
 * kept within a byte budget, and only READ responses (idempotent, s.6.10) give theirs up: a
 * duplicate of one of those is answered by reading again, which returns the same bytes.
 */
const MAX_ENTRIES = 256;
const MAX_BYTES = 8 * 1024 * 1024;

interface Entry {
  bytes: Buffer | undefined;
  idempotent: boolean;
}

export type DupLookup = { kind: 'new' } | { kind: 'replay'; bytes: Buffer } | { kind: 'reexecute' };

export class DupCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  lookup(seq: number, crc: string): DupLookup {
    const entry = this.entries.get(`${seq}:${crc}`);
    if (!entry) return { kind: 'new' };
    return entry.bytes ? { kind: 'replay', bytes: entry.bytes } : { kind: 'reexecute' };
  }

  remember(seq: number, crc: string, response: Buffer, idempotent: boolean): void {
    const key = `${seq}:${crc}`;
    this.forget(key);
    this.entries.set(key, { bytes: response, idempotent });
    this.bytes += response.length;
    while (this.entries.size > MAX_ENTRIES) this.forget(this.entries.keys().next().value!);
    if (this.bytes <= MAX_BYTES) return;
    for (const entry of this.entries.values()) {
      if (this.bytes <= MAX_BYTES) break;
      if (entry.idempotent && entry.bytes) {
        this.bytes -= entry.bytes.length;
        entry.bytes = undefined;
      }
    }
  }

  private forget(key: string): void {
    const old = this.entries.get(key);
    if (old?.bytes) this.bytes -= old.bytes.length;
    this.entries.delete(key);
  }
}

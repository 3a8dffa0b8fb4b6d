import {
  constants,
  createHmac,
  hkdfSync,
  publicEncrypt,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeQuietly, writeFileAtomic } from '../backup/atomic-file.js';

/**
 * Per-block fingerprints of a store as backed up: the first 8 bytes of HMAC-SHA-256 of every
 * 4 KiB block. They let erase verification prove a sampled block changed (crypto erase) without
 * keeping any plaintext outside the encrypted backup.
 *
 * Keyed, because a plain hash of a low-entropy block (a record holding one card number) can be
 * confirmed by guessing: whoever holds the file could test every candidate. The key is per job
 * and never written anywhere except wrapped (RSAES-OAEP SHA-256) to the backup recipient, so the
 * organisation can recompute the fingerprints from the decrypted backup. Each run of the job
 * derives it again in memory (scrypt) from the decommission authority code, which every run holds
 * to authorize and which never reaches DIR, salted with the job id: a run resumed after a crash,
 * even one that died mid-erase, can still compare against the fingerprints taken before the erase.
 * Who can recompute them must hold the authority code, not the technician's key.
 *
 *   file: one JSON header line {format, blockSize, tagBytes, keyId, wrappedKey}, then 8 bytes a block
 *
 * Comparison interface, used by erase read-back (wipe/erasure/read-back.ts) and kept stable:
 *   BlockFingerprints.matches(block, bytes) -> true (unchanged), false (changed), undefined (no
 *   fingerprint for that block).
 */
export const BLOCK_SIZE = 4096;
export const FINGERPRINT_BYTES = 8;
const FORMAT = 'posdecom-fingerprints/1';
const MAX_HEADER = 4096;

/** The run's fingerprint key. Never serialised except wrapped to the recipient. */
export class FingerprintKey {
  readonly id: string;
  private constructor(private readonly secret: Buffer) {
    // An id tells files made under this key from others without revealing it.
    this.id = createHmac('sha256', secret).update('posdecom fingerprint key id').digest('hex').slice(0, 32);
  }

  /**
   * A key for one job, from a secret every run of it holds (the authority code) and its id.
   * scrypt runs on the thread pool, so the event loop (and the link) is never held up by it.
   */
  static async derive(secret: string, jobId: string): Promise<FingerprintKey> {
    const salt = `posdecom block fingerprints/1|${jobId}`;
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt(secret, salt, 32, { N: 1 << 14, r: 8, p: 1, maxmem: 32 << 20 }, (err, k) =>
        err ? reject(err) : resolve(k),
      ),
    );
    return new FingerprintKey(key);
  }

  /** A key nobody else can make again (bench, tests). */
  static generate(): FingerprintKey {
    return new FingerprintKey(randomBytes(32));
  }

  tag(block: Buffer | Buffer[]): Buffer {
    const h = createHmac('sha256', this.secret);
    for (const part of Array.isArray(block) ? block : [block]) h.update(part);
    return h.digest().subarray(0, FINGERPRINT_BYTES);
  }

  /**
   * A 32-byte key for another purpose of the same job (HKDF-SHA-256 of this key's secret; the
   * label keeps the purposes apart, so neither key tells anything about the other). Like this
   * key, it is made again by every run and never written.
   */
  subkey(label: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), label, 32));
  }

  wrapTo(recipientCertPem: string): string {
    return publicEncrypt(
      { key: recipientCertPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      this.secret,
    ).toString('base64');
  }
}

/** What erase verification compares against; see the file comment. */
export interface BlockFingerprints {
  readonly blocks: number;
  matches(block: number, bytes: Buffer): boolean | undefined;
}

/** Fingerprints are packed into pages as they are made: a Buffer per block costs ~50x its 8 bytes. */
const PAGE_BYTES = 64 * 1024;

/** Accepts bytes in arbitrary pieces, in order; emits one fingerprint per whole block. */
export class FingerprintAccumulator {
  private readonly parts: Buffer[] = [];
  private held = 0;
  private readonly pages: Buffer[] = [];
  private used = PAGE_BYTES;

  constructor(private readonly key: FingerprintKey) {}

  /** Goes on after `tags` made under the same key for the whole blocks before (a resumed backup). */
  static resume(key: FingerprintKey, tags: Buffer): FingerprintAccumulator {
    const a = new FingerprintAccumulator(key);
    for (let at = 0; at < tags.length; at += PAGE_BYTES) {
      const page = Buffer.alloc(PAGE_BYTES);
      a.used = tags.copy(page, 0, at, at + PAGE_BYTES);
      a.pages.push(page);
    }
    return a;
  }

  /** The tags of the whole blocks so far; undefined while a block is half seen. */
  wholeBlockTags(): Buffer | undefined {
    if (this.held > 0) return undefined;
    const last = this.pages.length - 1;
    return Buffer.concat(this.pages.map((page, i) => (i === last ? page.subarray(0, this.used) : page)));
  }

  push(bytes: Buffer): void {
    let rest = bytes;
    while (rest.length > 0) {
      const take = Math.min(rest.length, BLOCK_SIZE - this.held);
      this.parts.push(rest.subarray(0, take));
      this.held += take;
      rest = rest.subarray(take);
      if (this.held === BLOCK_SIZE) this.flushBlock();
    }
  }

  /** The fingerprints so far, including a final partial block. */
  finish(): Buffer {
    if (this.held > 0) this.flushBlock();
    return this.wholeBlockTags()!;
  }

  private flushBlock(): void {
    if (this.used === PAGE_BYTES) {
      this.pages.push(Buffer.allocUnsafe(PAGE_BYTES));
      this.used = 0;
    }
    this.key.tag(this.parts).copy(this.pages[this.pages.length - 1]!, this.used);
    this.used += FINGERPRINT_BYTES;
    this.parts.length = 0;
    this.held = 0;
  }
}

/** Writes the fingerprints with their header, fsynced (atomic-file), 0600. */
export async function writeFingerprints(
  path: string,
  key: FingerprintKey,
  recipientCertPem: string,
  tags: Buffer,
): Promise<void> {
  const header = {
    format: FORMAT,
    blockSize: BLOCK_SIZE,
    tagBytes: FINGERPRINT_BYTES,
    alg: 'HMAC-SHA-256, first 8 bytes',
    keyId: key.id,
    wrappedKey: key.wrapTo(recipientCertPem),
    keyTransport: 'RSAES-OAEP SHA-256 to the backup recipient',
  };
  await writeFileAtomic(path, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), tags]), 0o600);
}

/**
 * The fingerprints at `path` when they were made under `key`; undefined when the file is missing,
 * malformed, or made under another run's key (which this process cannot recompute).
 */
export async function readFingerprints(
  path: string,
  key: FingerprintKey,
): Promise<BlockFingerprints | undefined> {
  const bytes = await readFile(path).catch(() => undefined);
  if (bytes === undefined) return undefined;
  const nl = bytes.subarray(0, MAX_HEADER).indexOf(0x0a);
  if (nl < 0) return undefined;
  let header: { format?: unknown; keyId?: unknown; blockSize?: unknown; tagBytes?: unknown };
  try {
    header = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as typeof header;
  } catch {
    return undefined;
  }
  const ok =
    header.format === FORMAT &&
    header.blockSize === BLOCK_SIZE &&
    header.tagBytes === FINGERPRINT_BYTES &&
    header.keyId === key.id;
  return ok ? fingerprintsFrom(bytes.subarray(nl + 1), key) : undefined;
}

/** The comparison over packed tags made under `key`. */
export function fingerprintsFrom(tags: Buffer, key: FingerprintKey): BlockFingerprints {
  return {
    blocks: Math.floor(tags.length / FINGERPRINT_BYTES),
    matches(block, bytes) {
      const start = block * FINGERPRINT_BYTES;
      if (block < 0 || start + FINGERPRINT_BYTES > tags.length) return undefined;
      return timingSafeEqual(key.tag(bytes), tags.subarray(start, start + FINGERPRINT_BYTES));
    },
  };
}

/** The fingerprint files in `dir` (a job's work/), by name. */
export async function fingerprintFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.fp')).sort();
}

/** Deletes them: once the certificate is written, no erase is left to verify against them. */
export async function deleteFingerprintFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const n of names) await removeQuietly(join(dir, n));
}

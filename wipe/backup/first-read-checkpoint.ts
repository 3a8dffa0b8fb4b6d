import { readFile } from 'node:fs/promises';
import type { IHasher } from 'hash-wasm';
import { removeQuietly, writeFileAtomic } from './atomic-file.js';
import { loadMidstate, saveMidstate } from './midstate.js';
import { isSealed, openBytes, sealBytes, type Sealed } from './sealed-bytes.js';

/**
 * Where a store's first read (read-digest.ts) stands, kept so a later run goes on from there
 * instead of reading the store from its first byte again: `work/.NN-name.cms.first-read.json`
 * (0600, written atomically and fsynced).
 *
 *   offset     bytes received and hashed so far
 *   hashed     the largest multiple of 64 <= offset: SHA-256 has compressed [0, hashed)
 *   sha256     the midstate there (midstate.ts: no content in it)
 *   sealed     [hashed, offset), under the state key (sealed-bytes.ts); without a key the
 *              checkpoint stops at `hashed` and those < 64 bytes are read again
 *
 * With a state key the whole checkpoint is authenticated (it is the sealed bytes' associated
 * data, and a checkpoint with nothing to seal seals an empty string): a checkpoint changed on
 * disk is not taken up. Without one a changed midstate still cannot pass: the backup that follows
 * must hash the same as this read, and the terminal serves both.
 */
const FORMAT = 'posdecom-first-read/1';
const LABEL = 'posdecom first-read checkpoint/1';
const MAX_BYTES = 64 * 1024;

export interface FirstReadCheckpoint {
  format: string;
  store: string;
  size: number;
  offset: number;
  hashed: number;
  sha256: string;
  sealed?: Sealed;
}

export const firstReadPathFor = (dir: string, file: string): string => `${dir}/.${file}.first-read.json`;

/**
 * The read's state at `hashed + unhashed.length`, taken at once (the hasher goes on), ready to
 * write; undefined when the midstate cannot be saved.
 */
export function captureFirstRead(
  at: { store: string; size: number; hasher: IHasher; hashed: number; unhashed: Buffer },
  stateKey: Buffer | undefined,
): FirstReadCheckpoint | undefined {
  const sha256 = saveMidstate(at.hasher, at.hashed);
  if (sha256 === undefined) return undefined;
  const offset = stateKey ? at.hashed + at.unhashed.length : at.hashed;
  const plain = { format: FORMAT, store: at.store, size: at.size, offset, hashed: at.hashed, sha256 };
  return stateKey ? { ...plain, sealed: sealBytes(plain, at.unhashed, stateKey, LABEL) } : plain;
}

export async function writeFirstRead(path: string, c: FirstReadCheckpoint): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(c)}\n`, 0o600);
}

export const removeFirstRead = (path: string): Promise<void> => removeQuietly(path);

export type TakenUp = { hasher: IHasher; hashed: number; unhashed: Buffer } | { why: string };

/**
 * The read a checkpoint lets this run go on from, or why it cannot (the read then starts at 0).
 * Undefined when there is no checkpoint at all.
 */
export async function takeUpFirstRead(
  path: string,
  store: { name: string; size: number },
  stateKey: Buffer | undefined,
): Promise<TakenUp | undefined> {
  let c: Partial<FirstReadCheckpoint>;
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > MAX_BYTES) return { why: 'its first-read checkpoint is too large' };
    c = JSON.parse(text) as Partial<FirstReadCheckpoint>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { why: 'its first-read checkpoint is unreadable' };
  }
  if (!wellFormed(c)) return { why: 'its first-read checkpoint is malformed' };
  if (c.store !== store.name || c.size !== store.size)
    return { why: 'the store changed since its first read was started' };
  let unhashed = Buffer.alloc(0);
  if (stateKey) {
    const { sealed, ...plain } = c;
    const opened = sealed && openBytes(plain, sealed, stateKey, LABEL);
    if (opened?.length !== c.offset - c.hashed)
      return { why: 'its first-read checkpoint does not authenticate' };
    unhashed = Buffer.from(opened);
  } else if (c.sealed !== undefined || c.offset !== c.hashed)
    return { why: 'its first-read checkpoint is sealed under a job secret this run lacks' };
  const hasher = await loadMidstate(c.sha256, c.hashed);
  if (!hasher) return { why: 'its SHA-256 midstate is not one this version wrote' };
  return { hasher, hashed: c.hashed, unhashed };
}

const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

function wellFormed(c: Partial<FirstReadCheckpoint>): c is FirstReadCheckpoint {
  return (
    c.format === FORMAT &&
    typeof c.store === 'string' &&
    typeof c.sha256 === 'string' &&
    count(c.size) &&
    count(c.offset) &&
    count(c.hashed) &&
    c.hashed % 64 === 0 &&
    c.hashed <= c.offset &&
    c.offset - c.hashed < 64 &&
    c.offset <= c.size &&
    (c.sealed === undefined || isSealed(c.sealed))
  );
}

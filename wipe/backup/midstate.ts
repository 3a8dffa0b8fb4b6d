import { createSHA256, type IHasher } from 'hash-wasm';

/**
 * The store's running SHA-256 saved at a part boundary and taken up again by a later run, so a
 * resumed backup hashes on from there instead of reading the kept range again. node:crypto cannot
 * save a hash; hash-wasm's save()/load() can, and it is the hasher of every backup for that reason.
 *
 * Why a midstate exposes no content. At a boundary that is a multiple of 64 bytes (parts are
 * multiples of 4096), SHA-256 has compressed every byte and buffers none, so its state is the
 * eight chaining words plus the byte count: the one-way compression of the prefix, like a digest
 * without its final padding block. Whoever holds it can only test a guess of the whole prefix
 * (or, with the store's digest in the manifest, of the whole rest), and the checkpoint and the
 * manifest already hold each part's plaintext SHA-256, which allow exactly those guesses part by
 * part. hash-wasm's saved state also carries its 64-byte block buffer, which still holds the last
 * block it compressed (plaintext): that buffer is zeroed before the state leaves memory, and a
 * state whose layout is not the one checked here is never written (the resume re-reads instead).
 *
 *   saved state (hash-wasm 4.x, 116 bytes): [4 build tag][64 block buffer][8 byte count LE]
 *                                           [32 chaining words][8 digest size]
 */
const STATE_BYTES = 116;
const BUFFER_AT = 4;
const BUFFER_BYTES = 64;
const COUNT_AT = BUFFER_AT + BUFFER_BYTES;
const DIGEST_SIZE_AT = COUNT_AT + 8 + 32;

/** A SHA-256 that can be saved at a 64-byte boundary. */
export async function newSha256(): Promise<IHasher> {
  const h = await createSHA256();
  h.init();
  return h;
}

/**
 * The state of `hasher` after exactly `processed` bytes, with no byte of content in it (base64);
 * undefined when it cannot be saved that way (not on a 64-byte boundary, unknown layout).
 */
export function saveMidstate(hasher: IHasher, processed: number): string | undefined {
  if (processed % BUFFER_BYTES !== 0) return undefined;
  const state = Buffer.from(hasher.save());
  if (!layoutHolds(state, processed)) return undefined;
  state.fill(0, BUFFER_AT, BUFFER_AT + BUFFER_BYTES);
  return state.toString('base64');
}

/** A hasher that goes on after `processed` bytes; undefined for a state that is not one we wrote. */
export async function loadMidstate(saved: string, processed: number): Promise<IHasher | undefined> {
  const state = Buffer.from(saved, 'base64');
  if (processed % BUFFER_BYTES !== 0 || !layoutHolds(state, processed)) return undefined;
  if (!state.subarray(BUFFER_AT, BUFFER_AT + BUFFER_BYTES).every((b) => b === 0)) return undefined;
  const h = await createSHA256();
  try {
    h.load(state);
  } catch {
    return undefined; // another build of hash-wasm, or not its state at all
  }
  return h;
}

/** The saved state has the size and byte count this file expects. */
function layoutHolds(state: Buffer, processed: number): boolean {
  return (
    state.length === STATE_BYTES &&
    Number(state.readBigUInt64LE(COUNT_AT)) === processed &&
    state.readBigUInt64LE(DIGEST_SIZE_AT) === 32n
  );
}

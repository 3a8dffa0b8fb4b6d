import type { IHasher } from 'hash-wasm';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { StoreInfo } from '../../protocol/domain.js';
import {
  captureFirstRead,
  removeFirstRead,
  takeUpFirstRead,
  writeFirstRead,
} from './first-read-checkpoint.js';
import { newSha256 } from './midstate.js';
import type { StoreReader } from './store-backup.js';

/**
 * The SHA-256 of a store measured by reading it whole, hashing only (nothing is kept), for a
 * terminal that reports no digest (ZVT). The backup that follows is a second read, and must hash
 * the same: two reads that agree are the only independent measurement such a terminal allows.
 * Bytes must arrive in order and the read must end exactly at the listed size.
 *
 * With a checkpoint path the read survives its run: where it stands is saved every
 * `checkpointEvery` bytes (a crash loses at most that much) and at the byte reached when the read
 * fails (a pulled cable the run gave up on loses nothing), and a later run goes on from there
 * (first-read-checkpoint.ts).
 */
export interface ReadDigestOptions {
  onProgress?: (received: number, size: number) => void;
  checkpoint?: {
    path: string;
    /** Seals the bytes past the last 64-byte boundary; see BackupStoreOptions.stateKey. */
    stateKey?: Buffer | undefined;
    /** Bytes between two saves while reading (default 16 KiB: ~19 s at 9600 baud). */
    every?: number;
    /** Makes the digest durable (the journal); only then does the checkpoint go. */
    keep: (sha256: string) => void | Promise<void>;
    /** An earlier run's read was taken up at `offset`, or could not be. */
    onResume?: (event: { offset: number } | { restartedBecause: string }) => void;
  };
}

const DEFAULT_EVERY = 16 * 1024;

export async function readDigest(
  read: StoreReader,
  info: StoreInfo,
  o: ReadDigestOptions = {},
): Promise<string> {
  const state = await startingState(info, o.checkpoint);
  const saver = o.checkpoint && new Saver(o.checkpoint.path, info, o.checkpoint.stateKey);
  const every = o.checkpoint?.every ?? DEFAULT_EVERY;
  const from = state.hashed + state.unhashed.length;
  let received = from;
  let savedAt = from;
  let reached: number;
  try {
    reached = await read(info.name, from, info.size, async (offset, bytes) => {
      if (offset !== received) {
        throw new PosdecomError(
          ErrorCode.BackupFailed,
          `first read of ${info.name}: bytes arrived out of order`,
        );
      }
      state.push(bytes);
      received += bytes.length;
      o.onProgress?.(received, info.size);
      if (saver && received - savedAt >= every) {
        savedAt = received;
        await saver.save(state);
      }
    });
  } catch (err) {
    // The run may end here (exit 9): keep every byte hashed so far for the next one.
    await saver?.save(state).catch(() => undefined);
    throw err;
  }
  if (reached !== info.size || received !== info.size) {
    throw new PosdecomError(
      ErrorCode.BackupFailed,
      `first read of ${info.name} ended at ${received} of ${info.size} bytes`,
    );
  }
  const digest = state.finish();
  if (o.checkpoint) {
    await o.checkpoint.keep(digest);
    await removeFirstRead(o.checkpoint.path);
  }
  return digest;
}

/** SHA-256 fed only whole 64-byte blocks, so its midstate can be saved after any byte. */
class BlockHash {
  constructor(
    readonly hasher: IHasher,
    public hashed: number,
    public unhashed: Buffer,
  ) {}

  push(bytes: Buffer): void {
    const joined = this.unhashed.length > 0 ? Buffer.concat([this.unhashed, bytes]) : bytes;
    const whole = joined.length - (joined.length % 64);
    if (whole > 0) this.hasher.update(joined.subarray(0, whole));
    this.hashed += whole;
    this.unhashed = Buffer.from(joined.subarray(whole));
  }

  finish(): string {
    this.hasher.update(this.unhashed);
    return this.hasher.digest('hex');
  }
}

/** Saves in order: a save on failure never lands before one still under way. */
class Saver {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly info: StoreInfo,
    private readonly stateKey: Buffer | undefined,
  ) {}

  save(s: BlockHash): Promise<void> {
    const at = { store: this.info.name, size: this.info.size, ...s };
    const c = captureFirstRead({ ...at, hasher: s.hasher }, this.stateKey);
    if (!c) return Promise.resolve();
    const next = this.last.then(() => writeFirstRead(this.path, c));
    this.last = next.catch(() => undefined);
    return next;
  }
}

async function startingState(info: StoreInfo, c: ReadDigestOptions['checkpoint']): Promise<BlockHash> {
  const taken = c && (await takeUpFirstRead(c.path, info, c.stateKey));
  if (taken && 'why' in taken) {
    await removeFirstRead(c.path);
    c.onResume?.({ restartedBecause: taken.why });
  } else if (taken) {
    c?.onResume?.({ offset: taken.hashed + taken.unhashed.length });
    return new BlockHash(taken.hasher, taken.hashed, taken.unhashed);
  }
  return new BlockHash(await newSha256(), 0, Buffer.alloc(0));
}

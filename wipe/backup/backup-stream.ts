import type { IHasher } from 'hash-wasm';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { StoreInfo } from '../../protocol/domain.js';
import {
  FingerprintAccumulator,
  FINGERPRINT_BYTES,
  BLOCK_SIZE,
  type FingerprintKey,
} from '../erasure/fingerprints.js';
import { loadMidstate, newSha256, saveMidstate } from './midstate.js';
import type { PartSequence } from './parts.js';
import type { ReceivedAhead } from './received-ahead.js';
import type { ResumeRange } from './resume-range.js';
import {
  isResumable,
  openState,
  PlaintextTail,
  type PlaintextObserver,
  type ResumableObserver,
  type ResumeState,
  type SavedObserver,
} from './resume-state.js';

/**
 * Where every plaintext byte of a store goes in one run before it is encrypted: the store's
 * SHA-256, the block fingerprints, the plaintext observers and an in-memory tail (the observers'
 * look-back). It starts at offset 0, or takes up the state a checkpoint kept at a part boundary
 * (resume-state.ts), so a resumed run reads on from that boundary:
 *
 *   readFrom .. hashedFrom   the observers' look-back, read again only when it was not sealed
 *   hashedFrom .. size       sha256 + fingerprints + observers + tail, then encrypted
 */
/**
 * Reads [from, size) of a store in order, calling `sink` with each piece at its offset; may
 * reconnect underneath and continue from the sink's offset. Returns the offset reached. `from` is
 * 0, or a resumed backup's part boundary (or a little before it, for the look-back): the driver
 * must start serving there (for a file read by offset: the first request at `from`).
 */
export type StoreReader = (
  store: string,
  from: number,
  size: number,
  sink: (offset: number, bytes: Buffer) => Promise<void>,
) => Promise<number>;

export interface StreamOptions {
  fingerprints?: { key: FingerprintKey } | undefined;
  observers: readonly PlaintextObserver[];
  /** Seals the look-back in checkpoints and authenticates them (resume-state.ts). */
  stateKey?: Buffer | undefined;
}

export class BackupStream {
  private readonly tail = new PlaintextTail();

  private constructor(
    private readonly o: StreamOptions,
    private readonly hasher: IHasher,
    readonly prints: FingerprintAccumulator | undefined,
    /** Where this run's read of the store starts. */
    readonly readFrom: number,
    /** Bytes before this offset were hashed by an earlier run; these go to the observers only. */
    readonly hashedFrom: number,
    private readonly lookBackFroms: readonly number[] = [],
  ) {}

  static async fresh(o: StreamOptions): Promise<BackupStream> {
    const prints = o.fingerprints ? new FingerprintAccumulator(o.fingerprints.key) : undefined;
    return new BackupStream(o, await newSha256(), prints, 0, 0);
  }

  /** Goes on at `state.offset`, or says why it cannot (the caller then reads the store from 0). */
  static async takeUp(
    checkpoint: { state: ResumeState },
    o: StreamOptions,
  ): Promise<BackupStream | { why: string }> {
    const s = checkpoint.state;
    let sealed: Buffer | undefined;
    const secretBytes = s.observers.reduce((n, x) => n + (x.secretBytes ?? 0), 0);
    const aheadBytes = s.ahead ?? 0;
    if (o.stateKey !== undefined) {
      sealed = openState(checkpoint, o.stateKey);
      if (sealed?.length !== s.offset - s.lookBackFrom + secretBytes + aheadBytes)
        return { why: 'its resume state does not authenticate' };
    } else if (s.sealed !== undefined || secretBytes > 0 || aheadBytes > 0)
      return { why: 'its resume state is sealed under a job secret this run lacks' };
    const lookBack = sealed?.subarray(0, s.offset - s.lookBackFrom);
    const hasher = await loadMidstate(s.sha256, s.offset);
    if (hasher === undefined) return { why: 'its SHA-256 midstate is not one this version wrote' };
    let prints: FingerprintAccumulator | undefined;
    if (o.fingerprints) {
      const tags = Buffer.from(s.prints?.tags ?? '', 'base64');
      if (
        s.prints?.keyId !== o.fingerprints.key.id ||
        tags.length !== (s.offset / BLOCK_SIZE) * FINGERPRINT_BYTES
      )
        return { why: "its block fingerprints are missing or not this job's" };
      prints = FingerprintAccumulator.resume(o.fingerprints.key, tags);
    }
    const resumable = o.observers.filter(isResumable);
    const froms = s.observers.map((x) => x.lookBackFrom);
    if (resumable.length !== o.observers.length || s.observers.length !== resumable.length)
      return { why: 'its plaintext observers cannot be taken up' };
    if (froms.some((f) => f < s.lookBackFrom || f > s.offset))
      return { why: 'its look-back is inconsistent' };
    let at = s.offset - s.lookBackFrom;
    const secrets = s.observers.map((x) => {
      const n = x.secretBytes;
      if (n === undefined || sealed === undefined) return undefined;
      at += n;
      return sealed.subarray(at - n, at);
    });
    if (!resumable.every((x, i) => x.restore(s.observers[i]!.state, secrets[i])))
      return { why: "an observer's saved state is not one it wrote" };
    const stream = new BackupStream(o, hasher, prints, lookBack ? s.offset : s.lookBackFrom, s.offset, froms);
    if (lookBack) stream.lookBack(s.lookBackFrom, lookBack);
    if (sealed && aheadBytes > 0) stream.ahead = Buffer.from(sealed.subarray(sealed.length - aheadBytes));
    return stream;
  }

  /**
   * Bytes a cut run had received past hashedFrom (its checkpoint's sealed `ahead`): they go
   * through the pipeline before the terminal is asked for the rest (readThrough).
   */
  ahead: Buffer = Buffer.alloc(0);

  /** Bytes before hashedFrom, read again or unsealed: each observer gets those past its look-back start. */
  lookBack(offset: number, bytes: Buffer): void {
    // The tail too, so this run can checkpoint at hashedFrom before it has fed a byte.
    this.tail.push(offset, bytes);
    (this.o.observers as ResumableObserver[]).forEach((x, i) => {
      const skip = Math.max(0, this.lookBackFroms[i]! - offset);
      if (skip < bytes.length) x.push(offset + skip, bytes.subarray(skip));
    });
  }

  /** Plaintext at `offset` (>= hashedFrom), in order. */
  feed(offset: number, piece: Buffer): void {
    this.hasher.update(piece);
    this.prints?.push(piece);
    for (const x of this.o.observers) {
      if (isResumable(x)) x.push(offset, piece);
      else x(offset, piece);
    }
    this.tail.push(offset, piece);
  }

  /** What a later run needs to go on at `at` and the look-back to seal; undefined if it cannot. */
  capture(at: number): { state: ResumeState; sealed: Buffer } | undefined {
    const sha256 = saveMidstate(this.hasher, at);
    const tags = this.prints?.wholeBlockTags();
    if (sha256 === undefined || (this.prints && tags === undefined)) return undefined;
    const observers: SavedObserver[] = [];
    const secrets: Buffer[] = [];
    for (const x of this.o.observers) {
      const saved = isResumable(x) ? x.checkpoint(at) : undefined;
      // A secret is kept only sealed: without a state key this observer cannot be resumed.
      if (saved === undefined || (saved.secret && this.o.stateKey === undefined)) return undefined;
      observers.push({
        state: saved.state,
        lookBackFrom: saved.lookBackFrom,
        ...(saved.secret ? { secretBytes: saved.secret.length } : {}),
      });
      if (saved.secret) secrets.push(saved.secret);
    }
    const lookBackFrom = Math.min(at, ...observers.map((x) => x.lookBackFrom));
    const lookBack = this.tail.since(lookBackFrom);
    if (lookBack === undefined) return undefined;
    const prints =
      this.o.fingerprints && tags
        ? { keyId: this.o.fingerprints.key.id, tags: tags.toString('base64') }
        : undefined;
    return {
      state: { offset: at, sha256, ...(prints ? { prints } : {}), observers, lookBackFrom },
      sealed: Buffer.concat([lookBack, ...secrets]),
    };
  }

  digest(): string {
    return this.hasher.digest('hex');
  }
}

/**
 * Reads the store from the stream's readFrom through the pipeline and the parts; its SHA-256.
 * Bytes the stream holds `ahead` (a cut run received them) go first, and the terminal is asked
 * only for what follows them.
 */
export async function readThrough(
  info: StoreInfo,
  read: StoreReader,
  p: {
    range: ResumeRange;
    sequence: PartSequence;
    stream: BackupStream;
    partBytes: number;
    received?: ReceivedAhead;
  },
  onProgress?: (received: number, size: number) => void,
): Promise<string> {
  const { range, sequence, stream, partBytes } = p;
  let received = stream.readFrom;
  const take = async (offset: number, bytes: Buffer): Promise<void> => {
    if (offset !== received) {
      throw new PosdecomError(ErrorCode.BackupFailed, `backup of ${info.name}: bytes arrived out of order`);
    }
    received += bytes.length;
    const lookBack = Math.max(0, Math.min(bytes.length, stream.hashedFrom - offset));
    if (lookBack > 0) stream.lookBack(offset, bytes.subarray(0, lookBack));
    for (let at = offset + lookBack, rest = bytes.subarray(lookBack); rest.length > 0;) {
      // One piece never crosses a part end, so the checkpoint sees the pipeline exactly there.
      const piece = rest.subarray(0, partBytes - (at % partBytes));
      stream.feed(at, piece);
      p.received?.push(at, piece);
      const fresh = range.consume(at, piece);
      if (fresh.length > 0) await sequence.write(fresh);
      at += piece.length;
      rest = rest.subarray(piece.length);
    }
    onProgress?.(received, info.size);
  };
  if (stream.ahead.length > 0) await take(stream.readFrom, stream.ahead);
  // A cut run may have received the whole store: nothing is left to ask for.
  const done = stream.ahead.length > 0 && received === info.size;
  const reached = done ? received : await read(info.name, received, info.size, take);
  if (reached !== info.size || received !== info.size) {
    throw new PosdecomError(
      ErrorCode.BackupFailed,
      `backup of ${info.name} ended at ${received} of ${info.size} bytes`,
    );
  }
  return stream.digest();
}

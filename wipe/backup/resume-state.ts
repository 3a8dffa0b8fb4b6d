import { MAX_AHEAD } from './received-ahead.js';
import { isSealed, openBytes, sealBytes, type Sealed } from './sealed-bytes.js';

/**
 * What a backup needs to go on at a part boundary without reading the store before it again,
 * as it is kept in the store's checkpoint (checkpoint.ts) and checked when a later run takes it up:
 *
 *   offset        the boundary: the end of the last complete part
 *   sha256        the store's SHA-256 midstate there (midstate.ts: no content in it)
 *   prints        the block fingerprints of [0, offset), keyed (wipe/erasure/fingerprints.ts)
 *   observers     each resumable plaintext observer's state (counts and positions, no content)
 *                 and the offset from which it needs the bytes before the boundary again
 *   ahead         bytes past `offset` the cut run had already received (received-ahead.ts)
 *   sealed        the look-back bytes [lookBackFrom, offset), each observer's secret (e.g.
 *                 block sketches) and the `ahead` bytes, AES-256-GCM under the state key, the
 *                 rest of the checkpoint as associated data
 *
 * The look-back is plaintext (a card number may straddle the boundary), so it is on disk only
 * sealed, under a key (the "state key") the caller derives from a job secret that never reaches
 * DIR; every run of the job derives it again. Without a state key the look-back is not kept and a
 * resumed run reads it again from the terminal (at most MAX_LOOK_BACK bytes, observers only).
 * With one, the associated data makes the whole checkpoint authenticated: a checkpoint changed on
 * disk, or a sealed copy moved from another store or boundary, does not open, and the run falls
 * back to reading the kept range again. Without one the checkpoint is as trustworthy as the
 * journal beside it; a changed midstate still cannot pass, since the store's final digest is
 * checked against the terminal's.
 */
export const RESUME_STATE_LABEL = 'posdecom backup resume state/1';
/** Bytes before a boundary an observer may ask for again; an observer needing more is not resumed. */
export const MAX_LOOK_BACK = 1024;

/** Sees every plaintext byte of the store once per run, in order (see store-backup.ts). */
export type PlaintextObserver = ((offset: number, bytes: Buffer) => void) | ResumableObserver;

/**
 * An observer that can stop at a part boundary and go on in a later run. Contract: bytes come in
 * order; a push at offset 0 starts afresh (the store is read again from its start).
 */
export interface ResumableObserver {
  push(offset: number, bytes: Buffer): void;
  /**
   * Its state at `at`: `state` holds no byte of the store (kept in clear); `secret`, what is
   * derived from the content and must not be (kept only sealed: without a state key the observer
   * is not resumed); `lookBackFrom`, the offset its look-back starts at.
   */
  checkpoint(at: number): { state: unknown; lookBackFrom: number; secret?: Buffer } | undefined;
  /** Takes up a checkpoint()'s state; then it gets push(lookBackFrom, look-back) and what follows. */
  restore(state: unknown, secret: Buffer | undefined): boolean;
}

export const isResumable = (o: PlaintextObserver): o is ResumableObserver => typeof o !== 'function';

export interface SavedObserver {
  state: unknown;
  lookBackFrom: number;
  /** Length of its sealed secret, which follows the look-back in `sealed`. */
  secretBytes?: number;
}

export type { Sealed } from './sealed-bytes.js';

export interface ResumeState {
  offset: number;
  sha256: string;
  prints?: { keyId: string; tags: string };
  observers: SavedObserver[];
  lookBackFrom: number;
  /** Bytes past `offset` the cut run had received (received-ahead.ts), sealed after the secrets. */
  ahead?: number;
  sealed?: Sealed;
}

/** The last MAX_LOOK_BACK plaintext bytes seen, in memory only. */
export class PlaintextTail {
  private bytes = Buffer.alloc(0);
  private end = 0;

  push(offset: number, piece: Buffer): void {
    const joined = piece.length >= MAX_LOOK_BACK ? piece : Buffer.concat([this.bytes, piece]);
    this.bytes = Buffer.from(joined.subarray(Math.max(0, joined.length - MAX_LOOK_BACK)));
    this.end = offset + piece.length;
  }

  /** The bytes [from, end), if still held. */
  since(from: number): Buffer | undefined {
    const start = this.bytes.length - (this.end - from);
    return start >= 0 && from <= this.end ? this.bytes.subarray(start) : undefined;
  }
}

/**
 * The checkpoint with `plaintext` (the look-back, then the observers' secrets) sealed under `key`
 * (the checkpoint as it is, minus `state.sealed`, is the associated data). Without a key it is
 * simply not kept.
 */
export function sealState<C extends { state: ResumeState }>(
  checkpoint: C,
  plaintext: Buffer,
  key: Buffer | undefined,
): C {
  if (key === undefined) return checkpoint;
  const sealed = sealBytes(checkpoint, plaintext, key, RESUME_STATE_LABEL);
  return { ...checkpoint, state: { ...checkpoint.state, sealed } };
}

/**
 * The look-back sealed in `checkpoint` (as parsed from disk, key order kept), or undefined when
 * it does not open under `key`: changed on disk, torn, moved, or sealed under another job's key.
 */
export function openState(checkpoint: { state: ResumeState }, key: Buffer): Buffer | undefined {
  const { sealed, ...state } = checkpoint.state;
  if (sealed === undefined) return undefined;
  return openBytes({ ...checkpoint, state }, sealed, key, RESUME_STATE_LABEL);
}

const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const text = (s: unknown): s is string => typeof s === 'string' && s.length < 64 << 20;

/** The shape of a state read from disk (its content is checked when it is taken up). */
export function isResumeState(x: unknown): x is ResumeState {
  const s = x as Partial<ResumeState> | null;
  if (typeof s !== 'object' || s === null) return false;
  const prints = s.prints as Partial<ResumeState['prints']> | undefined;
  return (
    count(s.offset) &&
    text(s.sha256) &&
    count(s.lookBackFrom) &&
    s.lookBackFrom <= s.offset &&
    s.offset - s.lookBackFrom <= MAX_LOOK_BACK &&
    (s.ahead === undefined || (count(s.ahead) && s.ahead > 0 && s.ahead <= MAX_AHEAD)) &&
    Array.isArray(s.observers) &&
    s.observers.every(
      (o: Partial<SavedObserver>) =>
        typeof o === 'object' &&
        o !== null &&
        count(o.lookBackFrom) &&
        (o.secretBytes === undefined || count(o.secretBytes)),
    ) &&
    (prints === undefined || (text(prints.keyId) && text(prints.tags))) &&
    (s.sealed === undefined || isSealed(s.sealed))
  );
}

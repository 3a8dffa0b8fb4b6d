import { createHash, type Hash } from 'node:crypto';
import type { StoreInfo } from '../../protocol/domain.js';
import { intactParts, readCheckpoint, removeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { BackupPart } from './parts.js';
import type { ResumeState } from './resume-state.js';

/**
 * The complete parts a cut-short backup of a store left, as a later run takes them over: only
 * parts whose checkpoint matches the store as the terminal describes it now and whose files hash
 * to their recorded digests, with the checkpoint's resume state when it belongs to their end. Without
 * a usable state the store is read again from offset 0, and `consume` checks the bytes of each
 * kept part's range against that part's plaintext digest and hands back only the bytes past the
 * kept range, which are the ones still to be encrypted. With one, reading starts at the kept
 * range's end and `consume` only passes bytes through.
 */
export class ResumeMismatch extends Error {
  override readonly name = 'ResumeMismatch';
}

export class ResumeRange {
  private current: Hash | undefined;
  private index = 0;
  readonly offset: number;

  constructor(
    readonly parts: readonly BackupPart[],
    readonly partBytes: number,
  ) {
    const last = parts[parts.length - 1];
    this.offset = last ? last.offset + last.length : 0;
  }

  /** The part of `bytes` (at `offset`) past the kept range; throws ResumeMismatch on a differing part. */
  consume(offset: number, bytes: Buffer): Buffer {
    if (offset >= this.offset) return bytes;
    const inRange = bytes.subarray(0, this.offset - offset);
    let at = offset;
    for (let rest = inRange; rest.length > 0;) {
      const part = this.parts[this.index]!;
      const piece = rest.subarray(0, part.offset + part.length - at);
      (this.current ??= createHash('sha256')).update(piece);
      at += piece.length;
      rest = rest.subarray(piece.length);
      if (at === part.offset + part.length) {
        const digest = this.current.digest('hex');
        this.current = undefined;
        this.index++;
        if (digest !== part.plaintextSha256) {
          throw new ResumeMismatch(
            `the terminal's bytes for ${part.file} differ from what the earlier run encrypted there`,
          );
        }
      }
    }
    return bytes.subarray(inRange.length);
  }
}

/** What a store's checkpoint allows this run to keep, or why nothing is kept. */
export async function openResume(
  checkpointPath: string,
  info: StoreInfo,
  o: { backupDir: string; recipient: { sha256Fingerprint: string } },
): Promise<
  | { range: ResumeRange; dropped?: string; state?: ResumeState }
  | { restartedBecause: string }
  | Record<string, never>
> {
  const c = await readCheckpoint(checkpointPath);
  if (c === undefined) return {};
  let why: string | undefined;
  if ('unusable' in c) why = c.unusable;
  else if (c.store !== info.name || c.size !== info.size || c.terminalSha256 !== info.sha256)
    why = 'the store changed since its backup was started';
  else if (c.recipientSha256 !== o.recipient.sha256Fingerprint)
    why = 'its parts are encrypted to another backup recipient';
  if (why !== undefined || 'unusable' in c) {
    await removeCheckpoint(checkpointPath);
    return { restartedBecause: why ?? 'unusable checkpoint' };
  }
  const { kept, dropped } = await intactParts(o.backupDir, c.parts);
  const range = new ResumeRange(kept, c.partBytes);
  // The state is the pipeline at the last checkpointed part's end: of use only if all parts stay.
  const usable = dropped === undefined && c.state !== undefined && c.state.offset === range.offset;
  const resumable = usable ? (c as Checkpoint & { state: ResumeState }) : undefined;
  return { range, ...(dropped ? { dropped } : {}), ...(resumable ? { resumable } : {}) };
}

import type { ResumableObserver } from '../backup/resume-state.js';
import { BLOCK_SIZE } from './fingerprints.js';
import { SKETCH_BYTES, SketchAccumulator, type BlockSketcher } from './sketch.js';

/**
 * The block sketches of a store taken as its backup streams by (a plaintext observer), resumable
 * at a part boundary: the sketches so far are bits of the plaintext, so they go into the
 * checkpoint only as a secret (sealed under the backup's state key, wipe/backup/resume-state.ts);
 * in clear it keeps only the sketcher's key id and the block count.
 */
export class SketchObserver implements ResumableObserver {
  private acc: SketchAccumulator;

  constructor(private readonly sketcher: BlockSketcher) {
    this.acc = new SketchAccumulator(sketcher);
  }

  push(offset: number, bytes: Buffer): void {
    if (offset === 0) this.acc = new SketchAccumulator(this.sketcher);
    this.acc.push(bytes);
  }

  checkpoint(at: number): { state: unknown; lookBackFrom: number; secret: Buffer } | undefined {
    const secret = this.acc.wholeBlocks();
    if (secret === undefined || secret.length !== (at / BLOCK_SIZE) * SKETCH_BYTES) return undefined;
    return {
      state: { keyId: this.sketcher.keyId.toString('hex'), blocks: at / BLOCK_SIZE },
      lookBackFrom: at,
      secret,
    };
  }

  restore(state: unknown, secret: Buffer | undefined): boolean {
    const s = state as { keyId?: unknown; blocks?: unknown } | null;
    const ok =
      typeof s === 'object' &&
      s !== null &&
      s.keyId === this.sketcher.keyId.toString('hex') &&
      Number.isSafeInteger(s.blocks) &&
      secret?.length === (s.blocks as number) * SKETCH_BYTES;
    if (ok) this.acc = SketchAccumulator.resume(this.sketcher, secret);
    return ok;
  }

  /** Every sketch, a final partial block included. */
  finish(): Buffer {
    return this.acc.finish();
  }
}

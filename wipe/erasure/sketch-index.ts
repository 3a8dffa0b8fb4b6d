import { NEAR_BELOW, SKETCH_BYTES, sketchDistance } from './sketch.js';

/**
 * Every pre-erase block sketch of the job, searchable for the one nearest a read-back block.
 * Comparing each sample with every block would be samples x blocks distances (430 million for a
 * 256 MiB store); instead the 256-bit sketch is cut into 16 bands of 16 bits and each band
 * indexed (locality-sensitive hashing by banding). Two blocks a few bits apart agree on most
 * bands, so they meet in a bucket:
 *
 *   sketches 16 bits apart (6%)   share at least one band with probability > 0.999
 *   sketches 32 bits apart        0.89 per block, so a store-wide lie is still caught at once
 *
 * and every candidate found is then measured exactly. Unrelated blocks share a band by chance
 * once in 4,096, so a lookup measures a handful of candidates. A sample's own block is always
 * measured directly (blockSketch), never left to the index.
 */
const BANDS = 16;
const BUCKETS = 1 << 16;
/** A bucket this full holds many copies of one block (0xFF padding): a few of them will do. */
const MAX_CANDIDATES_PER_BAND = 256;

export interface Near {
  source: string;
  block: number;
  distance: number;
}

export class SketchIndex {
  private readonly names: string[] = [];
  private readonly parts: Buffer[] = [];
  private readonly firstBlock: number[] = [];
  private all: Buffer = Buffer.alloc(0);
  private bands: { starts: Uint32Array; ids: Uint32Array }[] = [];
  private built = true;

  /** Adds one store's sketches, under a name the results report. */
  add(source: string, sketches: Buffer): void {
    this.names.push(source);
    this.firstBlock.push(this.blocks);
    this.parts.push(sketches);
    this.built = false;
  }

  get blocks(): number {
    return this.parts.reduce((n, p) => n + p.length / SKETCH_BYTES, 0);
  }

  /** The sketch of `source`'s block `block`, if it was added. */
  blockSketch(source: string, block: number): Buffer | undefined {
    const part = this.parts[this.names.indexOf(source)];
    if (!part || (block + 1) * SKETCH_BYTES > part.length) return undefined;
    return part.subarray(block * SKETCH_BYTES, (block + 1) * SKETCH_BYTES);
  }

  /** The nearest pre-erase block under NEAR_BELOW bits away, or undefined when there is none. */
  nearest(sketch: Buffer): Near | undefined {
    this.build();
    let best: { id: number; distance: number } | undefined;
    for (let b = 0; b < BANDS; b++) {
      const { starts, ids } = this.bands[b]!;
      const v = sketch.readUInt16LE(b * 2);
      const end = Math.min(starts[v + 1]!, starts[v]! + MAX_CANDIDATES_PER_BAND);
      for (let k = starts[v]!; k < end; k++) {
        const id = ids[k]!;
        const d = sketchDistance(sketch, 0, this.all, id * SKETCH_BYTES);
        if (d < NEAR_BELOW && (!best || d < best.distance)) best = { id, distance: d };
      }
      if (best?.distance === 0) break;
    }
    return best ? { ...this.locate(best.id), distance: best.distance } : undefined;
  }

  private locate(id: number): { source: string; block: number } {
    let i = this.firstBlock.length - 1;
    while (i > 0 && this.firstBlock[i]! > id) i--;
    return { source: this.names[i]!, block: id - this.firstBlock[i]! };
  }

  /** Counting sort of every block id by each band's value. */
  private build(): void {
    if (this.built) return;
    this.all = Buffer.concat(this.parts);
    const n = this.all.length / SKETCH_BYTES;
    this.bands = [];
    for (let b = 0; b < BANDS; b++) {
      const starts = new Uint32Array(BUCKETS + 1);
      for (let id = 0; id < n; id++) starts[this.all.readUInt16LE(id * SKETCH_BYTES + b * 2) + 1]!++;
      for (let v = 0; v < BUCKETS; v++) starts[v + 1]! += starts[v]!;
      const next = starts.slice(0, BUCKETS);
      const ids = new Uint32Array(n);
      for (let id = 0; id < n; id++) ids[next[this.all.readUInt16LE(id * SKETCH_BYTES + b * 2)]!++] = id;
      this.bands.push({ starts, ids });
    }
    this.built = true;
  }
}

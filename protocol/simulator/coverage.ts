/**
 * Which bytes of a store a simulated terminal has handed out, as sorted disjoint ranges merged
 * as they come: what a test asks afterwards ("was all of the journal read before the erase?").
 * A backup reads in order, so its ranges merge into one; a peer reading scattered single bytes
 * could make many, so past MAX_RANGES a new separate range is not kept and `bytes` becomes a
 * lower bound (said by `exact`).
 */
const MAX_RANGES = 8192;

export class Coverage {
  /** [start, end) pairs, sorted, neither overlapping nor touching. */
  private readonly ranges: [number, number][] = [];
  private dropped = false;

  add(offset: number, length: number): void {
    if (length <= 0) return;
    const start = offset;
    const end = offset + length;
    // First range that ends at or after `start`: everything before it stays as it is.
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid]![1] < start) lo = mid + 1;
      else hi = mid;
    }
    let last = lo;
    let merged: [number, number] = [start, end];
    while (last < this.ranges.length && this.ranges[last]![0] <= end) {
      const r = this.ranges[last]!;
      merged = [Math.min(merged[0], r[0]), Math.max(merged[1], r[1])];
      last++;
    }
    if (last === lo && this.ranges.length >= MAX_RANGES) {
      this.dropped = true;
      return;
    }
    this.ranges.splice(lo, last - lo, merged);
  }

  /** Distinct bytes covered. */
  get bytes(): number {
    return this.ranges.reduce((n, [s, e]) => n + (e - s), 0);
  }

  /** False once a range was dropped for the bound: `bytes` is then at least the truth. */
  get exact(): boolean {
    return !this.dropped;
  }

  /** True when [0, size) is covered in full. */
  covers(size: number): boolean {
    if (size === 0) return true;
    const first = this.ranges[0];
    return this.ranges.length === 1 && first !== undefined && first[0] <= 0 && first[1] >= size;
  }
}

/** A byte range of a store: [offset, length]. */
export type Range = [number, number];

/**
 * The ranges of a store still to be read: ranges put back (a short read's remainder, a READ
 * spoiled by noise) first, then fresh ones from where the read has got to.
 */
export class ReadRanges {
  private readonly queue: Range[] = [];
  private nextOffset: number;

  constructor(
    from: number,
    private readonly end: number,
  ) {
    this.nextOffset = from;
  }

  /** The next range to ask for, at most `want` bytes; undefined when all has been asked for. */
  next(want: number): Range | undefined {
    const head = this.queue.shift();
    if (head) {
      if (head[1] <= want) return head;
      this.queue.unshift([head[0] + want, head[1] - want]);
      return [head[0], want];
    }
    if (this.nextOffset >= this.end) return undefined;
    const range: Range = [this.nextOffset, Math.min(want, this.end - this.nextOffset)];
    this.nextOffset += range[1];
    return range;
  }

  /** The rest of a short read: asked for next. */
  putFirst(range: Range): void {
    this.queue.unshift(range);
  }

  /** A range to ask for again, in offset order among the others put back. */
  putBack(range: Range): void {
    this.queue.push(range);
    this.queue.sort((a, b) => a[0] - b[0]);
  }
}

/**
 * Splits a byte stream into lines with a hard bound on memory (SPEC.md s.2.3).
 *
 * What @serialport/parser-readline leaves open, this closes: bytes stay bytes (no UTF-8
 * decoding), CR before LF is stripped, empty lines and overlong lines are reported rather
 * than silently dropped or grown without bound, and a partial last line at end of stream is
 * reported as truncated instead of being passed on as if whole.
 */
export type FramerEvent =
  | { type: 'line'; line: Buffer }
  | { type: 'discarded'; reason: 'overlong' | 'empty' | 'truncated'; bytes: number };

export const DEFAULT_MAX_LINE = 1024;
/** No negotiation may raise the limit past this. */
export const ABSOLUTE_MAX_LINE = 256 * 1024;

export class Framer {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes dropped from the current overlong line; -1 while not dropping. */
  private dropping = -1;

  constructor(
    private readonly emit: (event: FramerEvent) => void,
    private maxLine = DEFAULT_MAX_LINE,
  ) {}

  setMaxLine(maxLine: number): void {
    this.maxLine = Math.min(Math.max(64, maxLine), ABSOLUTE_MAX_LINE);
  }

  get bufferedBytes(): number {
    return this.held;
  }

  /** Bytes dropped so far from a line that has not ended yet (0 when not dropping). */
  get discardingBytes(): number {
    return Math.max(0, this.dropping);
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(0x0a, start);
      const stop = lf === -1 ? chunk.length : lf;
      this.take(chunk.subarray(start, stop));
      if (lf === -1) return;
      this.finishLine();
      start = lf + 1;
    }
  }

  /** End of stream: whatever is held was never terminated. */
  end(): void {
    if (this.dropping >= 0) {
      this.emit({ type: 'discarded', reason: 'overlong', bytes: this.dropping });
    } else if (this.held > 0) {
      this.emit({ type: 'discarded', reason: 'truncated', bytes: this.held });
    }
    this.reset();
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.dropping >= 0) {
      this.dropping += piece.length;
      return;
    }
    // +1 allows the CR that may precede LF.
    if (this.held + piece.length > this.maxLine + 1) {
      this.dropping = this.held + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    this.parts.push(Buffer.from(piece));
    this.held += piece.length;
  }

  private finishLine(): void {
    if (this.dropping >= 0) {
      this.emit({ type: 'discarded', reason: 'overlong', bytes: this.dropping });
      this.reset();
      return;
    }
    let line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    this.reset();
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length === 0) {
      this.emit({ type: 'discarded', reason: 'empty', bytes: 0 });
      return;
    }
    if (line.length > this.maxLine) {
      this.emit({ type: 'discarded', reason: 'overlong', bytes: line.length });
      return;
    }
    this.emit({ type: 'line', line });
  }

  private reset(): void {
    this.parts = [];
    this.held = 0;
    this.dropping = -1;
  }
}

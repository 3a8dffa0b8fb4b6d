/**
 * The plaintext a backup received past the end of its last complete part, held in memory so that
 * a run whose read fails (a pulled cable it gave up on, Ctrl-C) can seal it into the checkpoint
 * and the next run need not ask the terminal for those bytes again. At 9600 baud a 4 MiB part is
 * 80 minutes of reading; without this a cut in its middle would cost up to that much again.
 * A crash (kill -9) cannot save it: the next run reads on from the part end.
 *
 *   part end E (checkpointed) -> bytes [E, reached) held here -> read fails -> sealed as `ahead`
 */
export const MAX_AHEAD = 8 * 1024 * 1024;

export class ReceivedAhead {
  private pieces: Buffer[] = [];
  private length = 0;
  private overflowed = false;

  constructor(private from: number) {}

  /** Plaintext at `offset`, in order; past MAX_AHEAD the bytes are no longer kept. */
  push(offset: number, bytes: Buffer): void {
    if (this.overflowed) return;
    if (offset !== this.from + this.length || this.length + bytes.length > MAX_AHEAD) {
      this.overflowed = true;
      this.pieces = [];
      return;
    }
    this.pieces.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  /** A checkpoint now stands at `offset`: only bytes past it are needed. */
  restartAt(offset: number): void {
    this.from = offset;
    this.pieces = [];
    this.length = 0;
    this.overflowed = false;
  }

  /** The bytes received past `offset`, if they are all held. */
  since(offset: number): Buffer | undefined {
    if (this.overflowed || offset !== this.from || this.length === 0) return undefined;
    return Buffer.concat(this.pieces);
  }
}

/**
 * Hands chunks to the sink strictly in offset order, whatever order their replies came in, so
 * the sink's digest and file stay consistent; chunks ahead of a gap wait here.
 */
export class InOrderSink {
  private readonly ready = new Map<number, Buffer>();
  private busy: Promise<void> = Promise.resolve();

  constructor(
    /** The offset up to which the sink has received every byte. */
    public delivered: number,
    private readonly sink: (offset: number, bytes: Buffer) => Promise<void>,
  ) {}

  /** Resolves once the sink has taken every chunk it can so far (backpressure from disk). */
  deliver(offset: number, bytes: Buffer): Promise<void> {
    this.ready.set(offset, bytes);
    this.busy = this.busy.then(() => this.drain());
    return this.busy;
  }

  /** Waits for the sink to finish; the error it failed with, if any. */
  async settled(): Promise<unknown> {
    let failure: unknown;
    await this.busy.catch((err: unknown) => {
      failure = err;
    });
    return failure;
  }

  private async drain(): Promise<void> {
    for (let chunk = this.ready.get(this.delivered); chunk; chunk = this.ready.get(this.delivered)) {
      this.ready.delete(this.delivered);
      const at = this.delivered;
      this.delivered += chunk.length;
      await this.sink(at, chunk);
    }
  }
}

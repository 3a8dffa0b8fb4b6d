/**
 * The negotiated window (SPEC.md s.7.3): at most `size()` requests in flight or about to be sent.
 * A request waits here for a slot before it gets a seq, so a full window never burns one.
 */
export class RequestWindow {
  /** Slots taken by requests in flight or about to be sent. */
  private reserved = 0;
  private readonly waiters: (() => void)[] = [];

  /** `size` is read each time: the window is 1 until HELLO negotiates it. */
  constructor(private readonly size: () => number) {}

  acquire(): Promise<void> {
    if (this.reserved < this.size()) {
      this.reserved++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiters.push(() => {
        this.reserved++;
        resolve();
      }),
    );
  }

  release(): void {
    this.reserved = Math.max(0, this.reserved - 1);
    while (this.waiters.length > 0 && this.reserved < this.size()) this.waiters.shift()!();
  }

  /** Lets every waiter through, so each can see the session has failed and give its slot back. */
  wakeAll(): void {
    while (this.waiters.length > 0) this.waiters.shift()!();
  }
}

/**
 * An in-memory full-duplex byte link: what a null-modem cable is to two serial ports.
 * The simulated terminal holds one end; the sim serial binding (protocol/transport/sim-binding.ts)
 * or a pty bridge holds the other. Either end may hang up, which the other sees as a close,
 * exactly like a pulled cable.
 */
export interface ByteEndpoint {
  write(bytes: Buffer): void;
  onData(listener: (bytes: Buffer) => void): void;
  onClose(listener: () => void): void;
  close(): void;
  readonly closed: boolean;
}

class Endpoint implements ByteEndpoint {
  peer!: Endpoint;
  private dataListeners: ((bytes: Buffer) => void)[] = [];
  private closeListeners: (() => void)[] = [];
  closed = false;

  write(bytes: Buffer): void {
    if (this.closed) return;
    const copy = Buffer.from(bytes);
    // Async delivery, as a wire would: no re-entrancy into the writer's own call stack.
    setImmediate(() => {
      if (!this.peer.closed) for (const l of this.peer.dataListeners) l(copy);
    });
  }
  onData(listener: (bytes: Buffer) => void): void {
    this.dataListeners.push(listener);
  }
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.close();
    setImmediate(() => {
      for (const l of this.closeListeners) l();
    });
  }
}

export function createLinkPair(): [ByteEndpoint, ByteEndpoint] {
  const a = new Endpoint();
  const b = new Endpoint();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

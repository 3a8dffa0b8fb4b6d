import { ErrorCode, PosdecomError } from '../../errors.js';
import { readHeader } from '../codec/apdu.js';
import { apduName } from '../codec/prefixes.js';
import { newCounters, writeTo, type ApduLink, type ByteChannel, type LinkCounters } from './apdu-link.js';

/**
 * ZVT's native TCP transport (port 20007): APDUs as they are, no DLE framing, no CRC, no ACK
 * bytes. The stream is cut into APDUs by their LEN (one byte or FF lo hi); a peer can make an
 * APDU at most 5 + 65535 bytes, so that bounds what is held.
 */
export class ApduReassembler {
  private chunks: Buffer[] = [];
  private held = 0;

  constructor(private readonly emit: (apdu: Buffer) => void) {}

  get bufferedBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.held += chunk.length;
    for (;;) {
      const head = this.peek(5);
      const header = readHeader(head);
      if (!header.ok) return;
      const total = header.headerBytes + header.dataLength;
      if (this.held < total) return;
      this.emit(this.take(total));
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, Math.min(this.held, n)).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all =
      this.chunks.length === 1 ? (this.chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(this.chunks, this.held);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.held = rest.length;
    return out;
  }
}

export class TcpApduLink implements ApduLink {
  readonly kind = 'tcp' as const;
  readonly counters: LinkCounters = newCounters();
  private readonly reassembler: ApduReassembler;
  private readonly apduListeners: ((apdu: Buffer) => void)[] = [];
  private readonly closeListeners: ((reason: Error | undefined) => void)[] = [];
  private closedByUs = false;
  closed = false;

  constructor(private readonly channel: ByteChannel) {
    this.reassembler = new ApduReassembler((apdu) => {
      this.counters.apdusReceived++;
      for (const l of this.apduListeners) l(apdu);
    });
    channel.onData((bytes) => {
      if (!this.closed) this.reassembler.push(bytes);
    });
    channel.onClose((reason) => this.gone(reason));
  }

  async send(apdu: Buffer): Promise<void> {
    if (this.closed) {
      throw new PosdecomError(
        ErrorCode.TransportDisconnected,
        `ZVT TCP: link lost while sending ${apduName(apdu[0] ?? 0, apdu[1] ?? 0)}`,
      );
    }
    await writeTo(this.channel, apdu);
    this.counters.apdusSent++;
  }

  onApdu(listener: (apdu: Buffer) => void): void {
    this.apduListeners.push(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closedByUs = true;
    this.gone(undefined);
    await Promise.resolve(this.channel.close());
  }

  private gone(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.closedByUs) for (const l of this.closeListeners) l(reason);
  }
}

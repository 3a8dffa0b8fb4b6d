/**
 * What the sequence engine (ECR side) and the simulated terminal (PT side) both talk through:
 * whole APDUs in and out, whichever transport carries them. The serial link adds DLE framing,
 * CRC and ACK/NAK; the native TCP link sends APDUs as they are.
 */
export interface ApduLink {
  readonly kind: 'serial' | 'tcp';
  /** Resolves once the peer has the APDU: ACKed on serial, written on TCP. */
  send(apdu: Buffer): Promise<void>;
  onApdu(listener: (apdu: Buffer) => void): void;
  /** Called once when the link goes away for any reason other than our own close(). */
  onClose(listener: (reason: Error | undefined) => void): void;
  close(): Promise<void>;
  readonly closed: boolean;
  readonly counters: LinkCounters;
}

/**
 * The bytes underneath. Both the agent's `Link` (protocol/link.ts) and the simulator's
 * `ByteEndpoint` (protocol/terminal/link.ts) have this shape.
 */
export interface ByteChannel {
  write(bytes: Buffer): unknown;
  onData(listener: (bytes: Buffer) => void): void;
  onClose(listener: (reason?: Error) => void): void;
  close(): unknown;
}

/** What a link saw: the report of a session, and the evidence that recovery happened. */
export interface LinkCounters {
  apdusSent: number;
  apdusReceived: number;
  /** Serial: frames sent again after a NAK or a missing ACK. */
  repeats: number;
  acksSent: number;
  naksSent: number;
  acksReceived: number;
  naksReceived: number;
  ackTimeouts: number;
  /** Serial: a frame received again because our ACK was lost or late; ACKed, not delivered twice. */
  duplicates: number;
  badCrc: number;
  loneDle: number;
  truncated: number;
  overlong: number;
  lengthMismatch: number;
  noiseBytes: number;
  /** ACK or NAK bytes that arrived when no frame of ours was waiting for one. */
  strayAckBytes: number;
}

export function newCounters(): LinkCounters {
  return {
    apdusSent: 0,
    apdusReceived: 0,
    repeats: 0,
    acksSent: 0,
    naksSent: 0,
    acksReceived: 0,
    naksReceived: 0,
    ackTimeouts: 0,
    duplicates: 0,
    badCrc: 0,
    loneDle: 0,
    truncated: 0,
    overlong: 0,
    lengthMismatch: 0,
    noiseBytes: 0,
    strayAckBytes: 0,
  };
}

/** Write through a channel whose write may be sync (ByteEndpoint) or async (Link). */
export function writeTo(channel: ByteChannel, bytes: Buffer): Promise<void> {
  try {
    return Promise.resolve(channel.write(bytes)).then(() => undefined);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

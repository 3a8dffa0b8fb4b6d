/**
 * What the session needs from a port: bytes in, bytes out, and news of a hang-up.
 * Real serial ports, the in-process simulator and TCP device servers all look like this.
 */
export interface Link {
  readonly description: string;
  readonly eightBitClean: boolean;
  /** Wire bytes per second, used to stretch timeouts for long frames. */
  readonly byteRate: number;
  write(bytes: Buffer): Promise<void>;
  onData(listener: (bytes: Buffer) => void): void;
  /** Called once, when the link goes away for any reason other than our own close(). */
  onClose(listener: (reason: Error | undefined) => void): void;
  close(): Promise<void>;
  readonly closed: boolean;
}

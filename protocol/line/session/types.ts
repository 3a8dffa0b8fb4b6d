import type { Frame } from '../frame.js';
import type { Capabilities, Catalogue, MessageType, ProtocolVersion } from '../messages.js';
import type { Compression, PayloadEncoding } from '../payload.js';

/** The session's options, results and counters (protocol/line/session/session.ts; SPEC.md s.5, s.7). */
export interface SessionOptions {
  agent: string;
  requestTimeoutMs: number;
  helloTimeoutMs: number;
  retries: number;
  /**
   * Retransmissions allowed while the terminal's frames keep arriving corrupt: the line is alive
   * but noisy, so the request has not met the silence that `retries` bounds.
   */
  noisyRetries: number;
  maxLine: number;
  window: number;
  compression: Compression[];
  /**
   * When more consecutive frames than this are dropped (s.2.3: empty lines do not count; any
   * valid response, event or report ends the run), the terminal is treated as hostile.
   */
  maxConsecutiveBad: number;
  maxBusyRetries: number;
  eventsPerSecond: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  agent: 'posdecom',
  requestTimeoutMs: 3000,
  helloTimeoutMs: 10_000,
  retries: 3,
  noisyRetries: 12,
  maxLine: 65536,
  window: 8,
  compression: ['deflate', 'none'],
  maxConsecutiveBad: 64,
  maxBusyRetries: 20,
  eventsPerSecond: 100,
};

export type FrameDirection = 'out' | 'in';
export interface FrameObserver {
  (direction: FrameDirection, line: Buffer, frame: Frame | undefined): void;
}

export interface Negotiated {
  /** The version both sides speak in this session (s.5.1): our offer or the terminal's lower one. */
  proto: ProtocolVersion;
  session: string;
  maxLine: number;
  window: number;
  enc: PayloadEncoding;
  z: Compression;
  caps: Capabilities;
}

export type Reply<T extends MessageType> = Catalogue[T]['res'] & { data?: Buffer };

export interface RequestOptions {
  timeoutMs?: number;
  /** Bytes the reply may take on the wire; stretches the timeout on slow links. */
  expectReplyBytes?: number;
  /** Overrides SessionOptions.noisyRetries: a caller that adapts to noise (bulk-read) fails fast. */
  noisyRetries?: number;
}

export interface SessionCounters {
  framesOut: number;
  framesIn: number;
  retransmits: number;
  discarded: Record<string, number>;
  /** Events beyond the per-second budget (s.6.19), dropped unseen. */
  eventsDropped: number;
  /** Events of a type s.6.19 does not define, ignored. */
  unknownEvents: number;
  /** Reply fields the catalogue does not name, left out before anyone read them (s.3). */
  fieldsDropped: number;
}

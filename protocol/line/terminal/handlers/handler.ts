import type { Compression, PayloadEncoding } from '../../payload.js';
import type { ProtocolVersion } from '../../messages.js';
import type { SessionAuth } from '../auth.js';
import type { Device } from '../device.js';
import type { DupCache } from './dup-cache.js';

/** What HELLO negotiated, plus the per-session memory s.5.1 says a new HELLO discards. */
export interface Session extends SessionAuth {
  /** The version HELLO agreed; a 1.0 session has no SAF queue (no FORWARD, no STATUS saf). */
  proto: ProtocolVersion;
  maxLine: number;
  window: number;
  enc: PayloadEncoding;
  z: Compression;
  dup: DupCache;
}

export interface HandlerContext {
  device: Device;
  session: Session;
  seq: number;
  header: Record<string, unknown>;
}

export interface Reply {
  header: Record<string, unknown>;
  /** Raw DATA bytes as they go on the wire (already compressed and encoded). */
  data?: Buffer;
  /** READ only: may be answered again by executing again instead of from the duplicate cache. */
  idempotent?: boolean;
  /** READ only: a disconnect fault cuts this response at this fraction of its bytes. */
  cut?: number;
}

export type Handler = (ctx: HandlerContext) => Reply | Promise<Reply>;

export function ok(fields: Record<string, unknown> = {}): Reply {
  return { header: { ok: true, ...fields } };
}

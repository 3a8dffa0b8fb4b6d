/**
 * The message catalogue of protocol 1.1 (SPEC.md s.6): request and response headers by type.
 * Responses carry `ok: true` plus the fields below, or an ErrorReply.
 */
import type {
  Channel,
  EraseMethod,
  EraseState,
  Identity,
  KeySlot,
  LinkKind,
  Money,
  SafQueue,
  Status,
  StoreInfo,
} from '../domain.js';
import type { Compression, PayloadEncoding } from './payload.js';

/** The newest version this code speaks; HELLO offers it (SPEC.md s.5.1). */
export const PROTOCOL_VERSION = '1.1';
/** Every version this code speaks, oldest first: 1.0 has no SAF queue (no FORWARD, no STATUS saf). */
export const SUPPORTED_VERSIONS = ['1.0', '1.1'] as const;
export type ProtocolVersion = (typeof SUPPORTED_VERSIONS)[number];

/**
 * The version a session speaks when one side offers `offered` and the other speaks up to
 * `newest` (same major): the lower of the two minors. Undefined for another major or a text
 * that is no version.
 */
export function sessionVersion(
  offered: string,
  newest: string = PROTOCOL_VERSION,
): ProtocolVersion | undefined {
  const a = /^(\d{1,4})\.(\d{1,4})$/.exec(offered);
  const b = /^(\d{1,4})\.(\d{1,4})$/.exec(newest);
  if (!a || !b || a[1] !== b[1]) return undefined;
  const minor = Math.min(Number(a[2]), Number(b[2]));
  return SUPPORTED_VERSIONS.find((v) => v === `${a[1]}.${minor}`);
}

/** Is `version` at least 1.1, i.e. does the session have the SAF queue? */
export function hasSafQueue(version: string): boolean {
  return version !== '1.0';
}

/** Event types of s.6.19; anything else is an unknown event, ignored and counted. */
export const EVENT_TYPES: ReadonlySet<string> = new Set(['PROGRESS', 'TAMPER', 'BATTERY', 'CARD']);

export const ERROR_CODES = [
  'BAD_REQUEST', // header fields missing or of the wrong type
  'UNKNOWN_TYPE', // request type not in the catalogue
  'PROTO_VERSION', // HELLO with a major version the terminal does not speak
  'NO_SESSION', // anything but HELLO before HELLO
  'AUTH_REQUIRED', // destructive request before AUTH succeeded
  'AUTH_FAILED', // wrong MAC, stale or reused nonce
  'AUTH_LOCKED', // too many failed attempts
  'UNKNOWN_STORE',
  'UNKNOWN_CHANNEL',
  'UNKNOWN_LINK',
  'RANGE', // offset or length outside the store
  'ORDER', // the terminal refuses this in its current state (e.g. UNBIND with an open batch)
  'HOST_UNREACHABLE', // settlement host cannot be reached
  'BUSY', // try again after retryAfterMs; nothing was done
  'UNSUPPORTED', // method or capability this terminal does not have
  'INTERNAL',
] as const;
export type ErrorCodeName = (typeof ERROR_CODES)[number];

export interface ErrorReply {
  ok: false;
  code: ErrorCodeName;
  message: string;
  attemptsLeft?: number;
  retryAfterMs?: number;
  reasons?: string[];
}

export interface Capabilities {
  channels: Channel[];
  links: LinkKind[];
  stores: string[];
  erase: EraseMethod[];
  keySlots: number;
  battery: boolean;
}

export interface HelloRequest {
  proto: string;
  agent: string;
  maxLine: number;
  window: number;
  enc: PayloadEncoding[];
  z: Compression[];
}
export interface HelloReply {
  ok: true;
  proto: string;
  session: string;
  maxLine: number;
  window: number;
  enc: PayloadEncoding;
  z: Compression;
  caps: Capabilities;
}

export type IdentifyReply = { ok: true } & Identity;

export type StatusReply = { ok: true } & Status;

export interface AuthBeginReply {
  ok: true;
  nonce: string;
  attemptsLeft: number;
}
export interface AuthRequest {
  nonce: string;
  mac: string;
}

export interface ChannelRequest {
  channel: Channel;
  enabled: boolean;
}
export interface ChannelReply {
  ok: true;
  channel: Channel;
  enabled: boolean;
}

export interface SettleRequest {
  op: string;
}
export interface SettleReply {
  ok: true;
  batchId: string;
  count: number;
  totals: Money[];
}

export interface ForwardRequest {
  op: string;
}
/** What was sent to the host: the queue as it stood (count 0 and no totals when it was empty). */
export type ForwardReply = { ok: true } & SafQueue;

export interface NetworkRequest {
  link: LinkKind;
  up: boolean;
}
export interface NetworkReply {
  ok: true;
  link: LinkKind;
  up: boolean;
}

export interface StoresReply {
  ok: true;
  stores: StoreInfo[];
}

export interface ReadRequest {
  store: string;
  offset: number;
  length: number;
}
/** DATA field carries `length` raw bytes from `offset`, deflated when z is "deflate". */
export interface ReadReply {
  ok: true;
  store: string;
  offset: number;
  length: number;
  z: Compression;
}

export interface EraseRequest {
  op: string;
  store: string;
  method: EraseMethod;
}
export interface EraseReply {
  ok: true;
  op: string;
  store: string;
  method: EraseMethod;
  passes: number;
  state: EraseState;
  /** Method `crypto`, state `done`: whether the store's media key was destroyed (absent: not reported). */
  keyDestroyed?: boolean;
}
export interface EraseStatusRequest {
  op: string;
}
export interface EraseStatusReply {
  ok: true;
  op: string;
  store: string;
  state: EraseState;
  done: number;
  total: number;
  keyDestroyed?: boolean;
}

export interface VerifyEraseRequest {
  store: string;
}
export interface VerifyEraseReply {
  ok: true;
  store: string;
  verified: boolean;
  method: string;
  pattern: string;
}

export interface KeysReply {
  ok: true;
  slots: KeySlot[];
}
export interface ZeroizeRequest {
  op: string;
}
export interface ZeroizeReply {
  ok: true;
  zeroized: number[];
}

export interface UnbindRequest {
  op: string;
}
export interface UnbindReply {
  ok: true;
  tid: null;
  mid: null;
  hostConfig: 'cleared';
}

export interface FinalizeRequest {
  op: string;
}
export interface FinalizeReply {
  ok: true;
  state: 'decommissioned';
  safeToPowerOff: boolean;
}

/** Unsolicited events (kind E). */
export interface ProgressEvent {
  op: string;
  done: number;
  total: number;
}

export interface Catalogue {
  HELLO: { req: HelloRequest; res: HelloReply };
  IDENTIFY: { req: Record<string, never>; res: IdentifyReply };
  STATUS: { req: Record<string, never>; res: StatusReply };
  AUTH_BEGIN: { req: Record<string, never>; res: AuthBeginReply };
  AUTH: { req: AuthRequest; res: { ok: true; expiresInMs: number } };
  CHANNEL: { req: ChannelRequest; res: ChannelReply };
  SETTLE: { req: SettleRequest; res: SettleReply };
  FORWARD: { req: ForwardRequest; res: ForwardReply };
  NETWORK: { req: NetworkRequest; res: NetworkReply };
  STORES: { req: Record<string, never>; res: StoresReply };
  READ: { req: ReadRequest; res: ReadReply };
  ERASE: { req: EraseRequest; res: EraseReply };
  ERASE_STATUS: { req: EraseStatusRequest; res: EraseStatusReply };
  VERIFY_ERASE: { req: VerifyEraseRequest; res: VerifyEraseReply };
  KEYS: { req: Record<string, never>; res: KeysReply };
  ZEROIZE: { req: ZeroizeRequest; res: ZeroizeReply };
  UNBIND: { req: UnbindRequest; res: UnbindReply };
  FINALIZE: { req: FinalizeRequest; res: FinalizeReply };
  PING: { req: Record<string, never>; res: { ok: true } };
}
export type MessageType = keyof Catalogue;

/** Requests that change the terminal: refused before AUTH, idempotent by `op`. */
export const DESTRUCTIVE: ReadonlySet<string> = new Set([
  'SETTLE',
  'FORWARD',
  'ERASE',
  'ZEROIZE',
  'UNBIND',
  'FINALIZE',
]);
/** Requests a 1.0 session does not have (SPEC.md "Changes in 1.1"). */
export const SINCE_1_1: ReadonlySet<string> = new Set(['FORWARD']);
/** Requests that change state reversibly; they still need AUTH. */
export const NEEDS_AUTH: ReadonlySet<string> = new Set([...DESTRUCTIVE, 'CHANNEL', 'NETWORK']);

/** The MAC the agent returns for AUTH (SPEC.md s.5). */
export function authMessage(serial: string, nonce: string, session: string): string {
  return `posdecom-auth/1|${serial}|${nonce}|${session}`;
}

import { ErrorCode, PosdecomError } from '../../errors.js';
import { type MessageType } from '../messages.js';
import { STORE_KINDS } from '../../domain.js';
import type { FaultPosition } from '../../simulator/one-shot-faults.js';

/**
 * Faults the simulated terminal can inject, parsed from the --faults flag text:
 *
 *   disconnect-after=N            pull the cable when the Nth frame arrives (counted since start)
 *   disconnect-at=TYPE            pull the cable when a TYPE request arrives
 *   disconnect-at=TYPE:STORE      ... only a request naming STORE (READ, ERASE, VERIFY_ERASE)
 *   disconnect-at=READ:STORE:AT   cut the READ response that carries position AT of STORE
 *   disconnect-at=ERASE:STORE:AT  pull the cable when the erase of STORE has done AT
 *                                 (AT is a percentage "50%" or a byte count "65536")
 *   bit-error=P                   flip each output bit with probability P
 *   drop=P                        drop each output byte with probability P
 *   busy=P                        answer a request (not HELLO) BUSY with probability P
 *   slow=MS                       start every response MS later
 *   erase-fail=STORE              every erase of STORE fails part-way
 *   erase-lie=STORE               erases of STORE report success but leave the data in place
 *   host-unreachable=TYPE         FORWARD or SETTLE answers HOST_UNREACHABLE (the host is down)
 *
 * Pairs are comma-separated; disconnect-*, erase-fail, erase-lie and host-unreachable may repeat, and every
 * disconnect fires once (remembered in the state file across restarts). When a request
 * triggers a disconnect it is executed first and the link drops before its response: the
 * hardest case for the agent, which cannot know whether it took effect (SPEC.md s.7.5).
 */
export type { FaultPosition };

export interface DisconnectAt {
  type: MessageType;
  store?: string;
  at?: FaultPosition;
}
export interface FaultSpec {
  disconnectAfter?: number[];
  disconnectAt?: DisconnectAt[];
  bitError?: number;
  drop?: number;
  busy?: number;
  slowMs?: number;
  eraseFail?: string[];
  eraseLie?: string[];
  hostUnreachable?: ('FORWARD' | 'SETTLE')[];
}

const ALL_TYPES: Record<MessageType, true> = {
  HELLO: true,
  IDENTIFY: true,
  STATUS: true,
  AUTH_BEGIN: true,
  AUTH: true,
  CHANNEL: true,
  SETTLE: true,
  FORWARD: true,
  NETWORK: true,
  STORES: true,
  READ: true,
  ERASE: true,
  ERASE_STATUS: true,
  VERIFY_ERASE: true,
  KEYS: true,
  ZEROIZE: true,
  UNBIND: true,
  FINALIZE: true,
  PING: true,
};
const STORE_TYPES = new Set(['READ', 'ERASE', 'VERIFY_ERASE']);
const KEYS = [
  'disconnect-after',
  'disconnect-at',
  'bit-error',
  'drop',
  'busy',
  'slow',
  'erase-fail',
  'erase-lie',
  'host-unreachable',
];

function bad(message: string): never {
  throw new PosdecomError(ErrorCode.UsageInvalid, `bad --faults: ${message}`);
}

function isMessageType(text: string): text is MessageType {
  return Object.hasOwn(ALL_TYPES, text);
}

function storeName(value: string, key: string): string {
  if (!(STORE_KINDS as readonly string[]).includes(value)) {
    bad(`${key}=${value}: no store '${value}' (stores: ${STORE_KINDS.join(', ')})`);
  }
  return value;
}

function probability(value: string, key: string, below = 1): number {
  const p = /^\d*\.?\d+(e-?\d+)?$/i.test(value) ? Number(value) : NaN;
  if (!(p >= 0 && (below === 1 ? p <= 1 : p < below))) bad(`${key}=${value}: want a probability 0-${below}`);
  return p;
}

function position(text: string, key: string): FaultPosition {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const n = Number(percent[1]);
    if (n <= 0 || n >= 100) bad(`${key}: position ${text} must be between 0% and 100%`);
    return { percent: n };
  }
  if (/^\d{1,15}$/.test(text)) return { offset: Number(text) };
  return bad(`${key}: position '${text}' is neither a percentage (50%) nor a byte offset`);
}

function disconnectAt(value: string): DisconnectAt {
  const [type = '', store, at, extra] = value.split(':');
  const key = `disconnect-at=${value}`;
  if (!isMessageType(type)) bad(`${key}: '${type}' is not a request type`);
  if (extra !== undefined) bad(`${key}: want TYPE[:STORE[:AT]]`);
  const spec: DisconnectAt = { type };
  if (store !== undefined) {
    if (!STORE_TYPES.has(type)) bad(`${key}: only READ, ERASE and VERIFY_ERASE name a store`);
    spec.store = storeName(store, key);
  }
  if (at !== undefined) {
    if (type !== 'READ' && type !== 'ERASE') bad(`${key}: a position applies to READ and ERASE only`);
    spec.at = position(at, key);
  }
  return spec;
}

export function parseFaults(text: string): FaultSpec {
  const spec: FaultSpec = {};
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) bad(`'${item}' is not key=value`);
    const key = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    if (!KEYS.includes(key)) bad(`unknown fault '${key}' (known: ${KEYS.join(', ')})`);
    const repeatable = key.startsWith('disconnect') || key.startsWith('erase') || key === 'host-unreachable';
    if (!repeatable && seen.has(key)) bad(`${key} given twice`);
    seen.add(key);
    switch (key) {
      case 'disconnect-after': {
        if (!/^[1-9]\d{0,8}$/.test(value)) bad(`${key}=${value}: want a frame count >= 1`);
        (spec.disconnectAfter ??= []).push(Number(value));
        break;
      }
      case 'disconnect-at':
        (spec.disconnectAt ??= []).push(disconnectAt(value));
        break;
      case 'bit-error':
        spec.bitError = probability(value, key);
        break;
      case 'drop':
        spec.drop = probability(value, key);
        break;
      case 'busy':
        // busy=1 would refuse everything forever: a livelock, not a fault.
        spec.busy = probability(value, key, 0.95);
        break;
      case 'slow':
        if (!/^\d{1,6}$/.test(value)) bad(`${key}=${value}: want milliseconds 0-999999`);
        spec.slowMs = Number(value);
        break;
      case 'erase-fail':
        (spec.eraseFail ??= []).push(storeName(value, key));
        break;
      case 'erase-lie':
        (spec.eraseLie ??= []).push(storeName(value, key));
        break;
      case 'host-unreachable':
        if (value !== 'FORWARD' && value !== 'SETTLE') bad(`${key}=${value}: want FORWARD or SETTLE`);
        (spec.hostUnreachable ??= []).push(value);
        break;
    }
  }
  const both = (spec.eraseFail ?? []).find((s) => (spec.eraseLie ?? []).includes(s));
  if (both) bad(`erase-fail and erase-lie both name '${both}'`);
  return spec;
}

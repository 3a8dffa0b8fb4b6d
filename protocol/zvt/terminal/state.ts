import { Prng } from '../../simulator/prng.js';
import { CARD_GROUPS, type CardGroup } from '../codec/values.js';
import { isNum, isObj } from '../../simulator/guards.js';
import { badStateFile, loadStateFile, saveStateFile } from '../../simulator/state-store.js';
import type { ResolvedZvtOptions } from './options.js';

/**
 * What the simulated terminal keeps across a power cycle: TID, password, the batch of turnover
 * records, which files were deleted, the registered config byte, a pending pre-authorisation,
 * and which one-shot faults have fired. File contents are not here: they derive from the seed.
 */
export const ZVT_STATE_FORMAT = 'posdecom-zvt-sim-state/1';

export interface TurnoverRecord {
  receipt: number;
  trace: number;
  amount: number;
  group: CardGroup;
}

export interface ZvtState {
  format: typeof ZVT_STATE_FORMAT;
  seed: number;
  password: string;
  /** 8 digits, or null once reset by 06 1B. */
  tid: string | null;
  /** The config byte of the last Registration; null when not registered (or logged off). */
  configByte: number | null;
  batch: TurnoverRecord[];
  preauth: { receipt: number; amount: number } | null;
  deletedFiles: number[];
  nextReceipt: number;
  nextTrace: number;
  faultsFired: string[];
}

export function initialState(o: ResolvedZvtOptions): ZvtState {
  const prng = Prng.from(o.seed, 'zvt-identity');
  const tid = prng.digits(8);
  const password = o.password ?? prng.digits(6);
  let nextReceipt = prng.int(100, 900);
  let nextTrace = prng.int(1000, 9000);
  const count = o.batchRecords ?? prng.int(3, 9);
  const batch: TurnoverRecord[] = [];
  for (let i = 0; i < count; i++) {
    batch.push({
      receipt: nextReceipt++,
      trace: nextTrace++,
      amount: prng.int(100, 20_000),
      group: prng.pick(CARD_GROUPS),
    });
  }
  const preauth = o.faults.preauth ? { receipt: nextReceipt++, amount: prng.int(1_000, 10_000) } : null;
  return {
    format: ZVT_STATE_FORMAT,
    seed: o.seed,
    password,
    tid,
    configByte: null,
    batch,
    preauth,
    deletedFiles: [],
    nextReceipt,
    nextTrace,
    faultsFired: [],
  };
}

/** The saved state, a fresh one when there is none; a file of another terminal or version is refused. */
export function loadOrCreateState(o: ResolvedZvtOptions): ZvtState {
  const fresh = initialState(o);
  if (!o.statePath) return fresh;
  const parsed = loadStateFile(o.statePath, isState, 'a ZVT simulator state file, or from another version');
  if (parsed === undefined) return fresh;
  if (parsed.seed !== o.seed) {
    throw badStateFile(o.statePath, `belongs to the ZVT terminal with seed ${parsed.seed}`);
  }
  if (o.password !== undefined) parsed.password = o.password;
  if (o.faults.preauth && !parsed.preauth) parsed.preauth = fresh.preauth;
  return parsed;
}

export function saveState(path: string | undefined, state: ZvtState): void {
  if (path) saveStateFile(path, state);
}

function isRecord(v: unknown): v is TurnoverRecord {
  return (
    isObj(v) &&
    isNum(v.receipt) &&
    isNum(v.trace) &&
    isNum(v.amount) &&
    (CARD_GROUPS as readonly unknown[]).includes(v.group)
  );
}

function isState(v: unknown): v is ZvtState {
  return (
    isObj(v) &&
    v.format === ZVT_STATE_FORMAT &&
    isNum(v.seed) &&
    typeof v.password === 'string' &&
    /^\d{6}$/.test(v.password) &&
    (v.tid === null || (typeof v.tid === 'string' && /^\d{8}$/.test(v.tid))) &&
    (v.configByte === null || isNum(v.configByte)) &&
    Array.isArray(v.batch) &&
    v.batch.every(isRecord) &&
    (v.preauth === null || (isObj(v.preauth) && isNum(v.preauth.receipt) && isNum(v.preauth.amount))) &&
    Array.isArray(v.deletedFiles) &&
    v.deletedFiles.every(isNum) &&
    isNum(v.nextReceipt) &&
    isNum(v.nextTrace) &&
    Array.isArray(v.faultsFired) &&
    v.faultsFired.every((f) => typeof f === 'string')
  );
}

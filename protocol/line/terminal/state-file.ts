import { arrayOf, isBool, isNum, isObj, isStr, recordOf } from '../../simulator/guards.js';
import { badStateFile, loadStateFile, saveStateFile } from '../../simulator/state-store.js';
import { ERASE_METHODS, type EraseMethod, type Money } from '../../domain.js';
import type { Fill, Layout, Overlay } from '../../simulator/content/layout.js';
import type { StorePersisted } from './store.js';

/**
 * The terminal's non-volatile memory: everything that survives a power cycle, as JSON. A
 * killed simulator restarted on the same file is the same terminal in the same state. Key
 * bytes and store bytes are never here: both are re-derived from the seed; the file says only
 * which keys were zeroized and what erasing did to each store.
 */
export const STATE_FORMAT = 'posdecom-sim-state/1';

export type JobState = 'running' | 'done' | 'failed';
export interface EraseJob {
  op: string;
  store: string;
  method: EraseMethod;
  passes: number;
  /** size x passes: progress is counted over all passes. */
  total: number;
  done: number;
  state: JobState;
  salt: string;
  /** What the store held when the job began (the passes overwrite it progressively). */
  before: Layout;
  /** erase-fail: the progress at which the flash gives up. */
  failAt: number | null;
  /** erase-lie: the job only pretends. */
  lie: boolean;
}

export interface OpRecord {
  op: string;
  type: string;
  response: Record<string, unknown>;
}

export interface PersistedState {
  format: typeof STATE_FORMAT;
  seed: number;
  model: string;
  bound: boolean;
  decommissioned: boolean;
  channels: Record<string, boolean>;
  links: Record<string, boolean>;
  batch: { open: boolean; count: number; totals: Money[]; number: number };
  keysZeroized: boolean[];
  stores: Record<string, StorePersisted>;
  jobs: EraseJob[];
  ops: OpRecord[];
  auth: { failures: number; lockedUntil: number };
  battery: { percent: number; charging: boolean } | null;
  faultsFired: string[];
}

export function saveState(path: string, state: PersistedState): void {
  saveStateFile(path, state);
}

/** The saved state, or undefined when there is none yet; malformed files are refused, not repaired. */
export function loadState(path: string, seed: number, model: string): PersistedState | undefined {
  const parsed = loadStateFile(path, isState);
  if (parsed && (parsed.seed !== seed || parsed.model !== model)) {
    throw badStateFile(path, `belongs to the ${parsed.model} terminal with seed ${parsed.seed}`);
  }
  return parsed;
}

const isMethod = (v: unknown): v is EraseMethod => (ERASE_METHODS as readonly unknown[]).includes(v);

const isFill = (v: unknown): v is Fill =>
  isObj(v) &&
  ((v.kind === 'original' && (v.forwarded === undefined || v.forwarded === true)) ||
    ['zeros', 'ones'].includes(v.kind as string) ||
    (v.kind === 'random' && isStr(v.salt)));
const isOverlay = (v: unknown): v is Overlay => isObj(v) && isFill(v.fill) && isNum(v.upTo);
const isLayout = (v: unknown): v is Layout =>
  isObj(v) && isFill(v.base) && (v.over === undefined || arrayOf(isOverlay)(v.over));
const isStore = (v: unknown): v is StorePersisted =>
  isObj(v) &&
  isLayout(v.layout) &&
  isBool(v.erased) &&
  (v.method === null || isMethod(v.method)) &&
  isNum(v.eraseCount) &&
  isBool(v.lied) &&
  (v.appended === undefined || arrayOf(isStr)(v.appended));
const isJob = (v: unknown): v is EraseJob =>
  isObj(v) &&
  [v.op, v.store, v.salt].every(isStr) &&
  isMethod(v.method) &&
  [v.passes, v.total, v.done].every(isNum) &&
  ['running', 'done', 'failed'].includes(v.state as string) &&
  isLayout(v.before) &&
  (v.failAt === null || isNum(v.failAt)) &&
  isBool(v.lie);
const isOp = (v: unknown): v is OpRecord => isObj(v) && isStr(v.op) && isStr(v.type) && isObj(v.response);
const isMoney = (v: unknown): v is Money => isObj(v) && isStr(v.currency) && isNum(v.minor);

function isState(v: unknown): v is PersistedState {
  return (
    isObj(v) &&
    v.format === STATE_FORMAT &&
    isNum(v.seed) &&
    isStr(v.model) &&
    isBool(v.bound) &&
    isBool(v.decommissioned) &&
    recordOf(isBool)(v.channels) &&
    recordOf(isBool)(v.links) &&
    isObj(v.batch) &&
    isBool(v.batch.open) &&
    isNum(v.batch.count) &&
    isNum(v.batch.number) &&
    arrayOf(isMoney)(v.batch.totals) &&
    arrayOf(isBool)(v.keysZeroized) &&
    recordOf(isStore)(v.stores) &&
    arrayOf(isJob)(v.jobs) &&
    arrayOf(isOp)(v.ops) &&
    isObj(v.auth) &&
    isNum(v.auth.failures) &&
    isNum(v.auth.lockedUntil) &&
    (v.battery === null || (isObj(v.battery) && isNum(v.battery.percent) && isBool(v.battery.charging))) &&
    arrayOf(isStr)(v.faultsFired)
  );
}

import { ErrorCode, PosdecomError } from '../../errors.js';
import { isModelName, type ModelName } from './models.js';
import type { FaultSpec } from './faults.js';
import { realClock, type Clock } from '../../clock.js';

export interface SimOptions {
  model: ModelName;
  /** Everything deterministic derives from it: serial, TID/MID, store contents, keys. */
  seed: number;
  /** Persist state here (JSON, written atomically) after every change; loaded at create if present. */
  statePath?: string;
  faults?: FaultSpec;
  /** Pace output at baud/10 bytes/s (8N1); undefined or 0 = unpaced. */
  baud?: number;
  /** Delay between receiving a request and starting its response. */
  turnaroundMs?: number;
  /** Multiplies every store's default size. */
  storeScale?: number;
  /** A store's size in bytes, by store name, overriding default and scale. */
  storeSizes?: Partial<Record<string, number>>;
  /** The settlement host is unreachable: SETTLE of an open batch answers HOST_UNREACHABLE. */
  unsettledHost?: boolean;
  /**
   * Keeps clear PANs and track data in batch, saf and journal, as a terminal PCI DSS would fail
   * (3.3.1, 3.4); by default the stores hold truncated PANs and encrypted SAF card data only.
   */
  noncompliant?: boolean;
  /** Sends session, nonce and sha256 in upper case, as SPEC.md s.2.1 allows (a vendor's choice). */
  upperCaseHex?: boolean;
  /** The newest protocol version the terminal speaks (default the newest there is); '1.0' has no SAF queue. */
  protocol?: '1.0' | '1.1';
  authLockoutMs?: number;
  eraseBytesPerSecond?: number;
  /** The clock pacing, turnaround and erase progress run on (tests drive it by hand). */
  lineClock?: Clock;
}

export const DEFAULT_AUTH_LOCKOUT_MS = 15 * 60_000;
/** Default stores (~0.3-0.5 MB) erase in about 0.2-0.5 s with one pass. */
export const DEFAULT_ERASE_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** A store larger than this would be a configuration mistake, not a terminal. */
const MAX_STORE_SIZE = 64 * 1024 ** 3;

export type ResolvedOptions = Required<Omit<SimOptions, 'statePath' | 'storeSizes'>> & {
  statePath: string | undefined;
  storeSizes: Partial<Record<string, number>>;
};

function usage(message: string): never {
  throw new PosdecomError(ErrorCode.UsageInvalid, `simulated terminal: ${message}`);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) usage(`${name} must be a number >= 0, not ${value}`);
  return value;
}

export function resolveOptions(options: SimOptions): ResolvedOptions {
  if (!isModelName(options.model)) usage(`unknown model '${String(options.model)}'`);
  if (!Number.isSafeInteger(options.seed)) usage(`seed must be an integer, not ${options.seed}`);
  const storeSizes = options.storeSizes ?? {};
  for (const [name, size] of Object.entries(storeSizes)) {
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0 && size <= MAX_STORE_SIZE)) {
      usage(`size of store '${name}' must be a whole number of bytes up to 64 GiB, not ${size}`);
    }
  }
  if (options.protocol !== undefined && options.protocol !== '1.0' && options.protocol !== '1.1')
    usage(`protocol must be 1.0 or 1.1, not ${String(options.protocol)}`);
  const storeScale = nonNegative('storeScale', options.storeScale, 1);
  const eraseRate = nonNegative(
    'eraseBytesPerSecond',
    options.eraseBytesPerSecond,
    DEFAULT_ERASE_BYTES_PER_SECOND,
  );
  return {
    model: options.model,
    seed: options.seed,
    statePath: options.statePath,
    faults: options.faults ?? {},
    baud: nonNegative('baud', options.baud, 0),
    turnaroundMs: nonNegative('turnaroundMs', options.turnaroundMs, 0),
    storeScale,
    storeSizes,
    unsettledHost: options.unsettledHost ?? false,
    noncompliant: options.noncompliant ?? false,
    upperCaseHex: options.upperCaseHex ?? false,
    protocol: options.protocol ?? '1.1',
    authLockoutMs: nonNegative('authLockoutMs', options.authLockoutMs, DEFAULT_AUTH_LOCKOUT_MS),
    eraseBytesPerSecond: eraseRate > 0 ? eraseRate : DEFAULT_ERASE_BYTES_PER_SECOND,
    lineClock: options.lineClock ?? realClock,
  };
}

export function storeSize(options: ResolvedOptions, name: string, defaultSize: number): number {
  const override = options.storeSizes[name];
  if (override !== undefined) return override;
  return Math.min(MAX_STORE_SIZE, Math.round(defaultSize * options.storeScale));
}

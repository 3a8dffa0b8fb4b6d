import { ErrorCode, PosdecomError } from '../../errors.js';
import { realClock, type Clock } from '../../clock.js';
import type { SerialTimers } from '../link/serial-link.js';
import { parseZvtFaults, type ZvtFaultSpec } from './faults.js';
import type { FileKind } from './files.js';

export interface SimZvtOptions {
  /** Everything deterministic derives from it: serial, TID, password, batch, file contents. */
  seed: number;
  /** The terminal's 6-digit password; derived from the seed when not given. */
  password?: string;
  /** ISO 4217 numeric (default 978, EUR): Registration with another currency is refused 84 1E. */
  currency?: number;
  /** Persist state here (JSON, atomic write) after every change; loaded at create if present. */
  statePath?: string;
  faults?: ZvtFaultSpec | string;
  /** Pace output at this line speed; undefined or 0 = unpaced. */
  baud?: number;
  /** Bits per byte on the line: 11 for 8N2 (the ZVT default), 10 for 8N1. */
  bitsPerByte?: number;
  /** Delay before each APDU the terminal sends. */
  turnaroundMs?: number;
  /** The terminal's serial timers (T1, T2, repeats). */
  serial?: Partial<SerialTimers>;
  /** How long the terminal waits for the ECR's 80 00 00 to each of its APDUs. */
  ecrReplyTimeoutMs?: number;
  /** Data bytes per Read File block. */
  fileBlockSize?: number;
  /** Size or kind of a file by id, overriding the seeded catalogue; size 0 makes an empty file. */
  files?: Partial<Record<number, { size?: number; kind?: FileKind }>>;
  /** Seeded file sizes multiplied by this (tests: 0.05 makes the event log ~60 KiB). */
  fileScale?: number;
  /** Journals keep clear PANs and track 2 data, as a terminal PCI DSS would fail (the agent's PCI scan finds them). */
  noncompliant?: boolean;
  /** Turnover records in a new terminal's batch (default: 3-9, seeded). */
  batchRecords?: number;
  /** Intermediate statuses End-of-Day shows before its totals. */
  intermediateStatuses?: number;
  /** The timeout byte of those 04 FF, in minutes; absent when undefined. */
  intermediateTimeoutMinutes?: number;
  /** The terminal's clock (Status Enquiry date/time, receipts). */
  now?: () => Date;
  /** The clock pacing, turnaround and the terminal's own timers (T1, T2, ECR reply) run on; tests drive it by hand. */
  lineClock?: Clock;
}

export interface ResolvedZvtOptions {
  seed: number;
  password: string | undefined;
  currency: number;
  statePath: string | undefined;
  faults: ZvtFaultSpec;
  bytesPerSecond: number;
  turnaroundMs: number;
  serial: Partial<SerialTimers>;
  ecrReplyTimeoutMs: number;
  fileBlockSize: number;
  files: Partial<Record<number, { size?: number; kind?: FileKind }>>;
  fileScale: number;
  noncompliant: boolean;
  batchRecords: number | undefined;
  intermediateStatuses: number;
  intermediateTimeoutMinutes: number | undefined;
  now: () => Date;
  lineClock: Clock;
}

function bad(message: string): never {
  throw new PosdecomError(ErrorCode.UsageInvalid, `simulated ZVT terminal: ${message}`);
}

export function resolveZvtOptions(o: SimZvtOptions): ResolvedZvtOptions {
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) bad(`seed ${o.seed} is not a non-negative integer`);
  if (o.password !== undefined && !/^\d{6}$/.test(o.password)) bad('the password is 6 digits');
  const block = o.fileBlockSize ?? 1024;
  // The block rides in one APDU with ~40 bytes of headers; LEN stops at 65535.
  if (!Number.isInteger(block) || block < 1 || block > 65_000) bad(`fileBlockSize ${block} is not 1-65000`);
  const bits = o.bitsPerByte ?? 11;
  const scale = o.fileScale ?? 1;
  if (!(scale > 0 && scale <= 16)) bad(`fileScale ${scale} is not above 0 and at most 16`);
  return {
    seed: o.seed,
    password: o.password,
    currency: o.currency ?? 978,
    statePath: o.statePath,
    faults: typeof o.faults === 'string' ? parseZvtFaults(o.faults) : (o.faults ?? {}),
    bytesPerSecond: o.baud ? o.baud / bits : 0,
    turnaroundMs: o.turnaroundMs ?? 0,
    serial: o.serial ?? {},
    ecrReplyTimeoutMs: o.ecrReplyTimeoutMs ?? 5_000,
    fileBlockSize: block,
    files: o.files ?? {},
    fileScale: o.fileScale ?? 1,
    noncompliant: o.noncompliant === true,
    batchRecords: o.batchRecords,
    intermediateStatuses: o.intermediateStatuses ?? 2,
    intermediateTimeoutMinutes: o.intermediateTimeoutMinutes,
    now: o.now ?? (() => new Date()),
    lineClock: o.lineClock ?? realClock,
  };
}

import { ErrorCode, PosdecomError } from '../../errors.js';

/**
 * Faults the simulated ZVT terminal can show, from a short text (the `faults` option, `sim:zvt`
 * parameter, `simulate --faults`):
 *
 *   crc=P            each frame the terminal sends has a bad CRC with probability P (serial)
 *   nak=N            the terminal NAKs the first N frames it receives (serial)
 *   slowack=MS       every ACK/NAK the terminal sends is MS late (serial)
 *   drop=CMD:N[:K]   the cable is pulled right after the terminal's Nth APDU in the Kth CMD
 *                    sequence that gets that far (K default 1; CMD: readfile, deletefile,
 *                    endofday, diagnosis, anything of commandNames); readfile:3 = after the
 *                    third file block; fires once (counts and firing kept in the state file)
 *   wait=N           the first N commands are answered "please wait" (84 9C 00) and not run
 *   grow=N           the event log grows by N bytes once, right after the first Read File of it
 *                    that ran to its end (a terminal logging the transfer); kept in the state file
 *   nofileaccess     a model without file access: 84 83 00 to Read File and Delete File
 *   unsettled        End-of-Day cannot settle: Abort 77 (end-of-day batch not possible)
 *   preauth          a pre-authorisation is pending: End-of-Day aborts with result code B8
 *   hostdown         the host is unreachable: End-of-Day and Diagnosis abort with A3
 *
 * Random faults draw from a stream seeded by the terminal's seed: same seed, same run.
 */
export interface ZvtFaultSpec {
  crc?: number;
  nak?: number;
  slowAckMs?: number;
  drop?: DropFault[];
  wait?: number;
  grow?: number;
  noFileAccess?: boolean;
  unsettled?: boolean;
  preauth?: boolean;
  hostDown?: boolean;
}

/** Command names used by drop=CMD:N and the request counters. */
export const COMMAND_NAMES: Record<number, string> = {
  0x0600: 'registration',
  0x0501: 'statusenquiry',
  0x061a: 'printconfig',
  0x0650: 'endofday',
  0x0610: 'turnovertotals',
  0x061b: 'setterminalid',
  0x0811: 'readfile',
  0x0812: 'deletefile',
  0x0670: 'diagnosis',
  0x0618: 'resetterminal',
  0x0602: 'logoff',
};

const FLAGS = ['nofileaccess', 'unsettled', 'preauth', 'hostdown'] as const;
const VALUED = ['crc', 'nak', 'slowack', 'drop', 'wait', 'grow'] as const;

function bad(message: string): never {
  throw new PosdecomError(ErrorCode.UsageInvalid, `bad ZVT faults: ${message}`);
}

function count(key: string, value: string, max = 1_000_000): number {
  if (!/^\d{1,7}$/.test(value) || Number(value) > max) bad(`${key}=${value}: want a whole number 0-${max}`);
  return Number(value);
}

export function parseZvtFaults(text: string): ZvtFaultSpec {
  const spec: ZvtFaultSpec = {};
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq === -1 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? undefined : item.slice(eq + 1).trim();
    const known = (FLAGS as readonly string[]).includes(key) || (VALUED as readonly string[]).includes(key);
    if (!known) bad(`unknown fault '${key}' (known: ${[...VALUED, ...FLAGS].join(', ')})`);
    if (key !== 'drop' && seen.has(key)) bad(`${key} given twice`);
    seen.add(key);
    if ((FLAGS as readonly string[]).includes(key)) {
      if (value !== undefined) bad(`${key} takes no value`);
      if (key === 'nofileaccess') spec.noFileAccess = true;
      if (key === 'unsettled') spec.unsettled = true;
      if (key === 'preauth') spec.preauth = true;
      if (key === 'hostdown') spec.hostDown = true;
      continue;
    }
    if (value === undefined || value === '') bad(`${key} needs a value (${key}=...)`);
    switch (key) {
      case 'crc': {
        const p = /^\d*\.?\d+(e-?\d+)?$/i.test(value) ? Number(value) : NaN;
        // crc=1 would never let a frame through: a dead line, not a fault.
        if (!(p >= 0 && p <= 0.5)) bad(`crc=${value}: want a probability 0-0.5`);
        spec.crc = p;
        break;
      }
      case 'nak':
        spec.nak = count(key, value);
        break;
      case 'slowack':
        spec.slowAckMs = count(key, value, 60_000);
        break;
      case 'wait':
        spec.wait = count(key, value);
        break;
      case 'grow':
        spec.grow = count(key, value);
        break;
      case 'drop': {
        const m = /^([a-z]+):(\d{1,7})(?::(\d{1,3}))?$/.exec(value);
        const names = Object.values(COMMAND_NAMES);
        if (
          !m ||
          !names.includes(m[1] ?? '') ||
          Number(m[2]) < 1 ||
          (m[3] !== undefined && Number(m[3]) < 1)
        ) {
          bad(`drop=${value}: want CMD:N or CMD:N:K with N, K >= 1 and CMD one of ${names.join(', ')}`);
        }
        (spec.drop ??= []).push({
          command: m[1] ?? '',
          after: Number(m[2]),
          ...(m[3] !== undefined && Number(m[3]) > 1 ? { nth: Number(m[3]) } : {}),
        });
        break;
      }
    }
  }
  return spec;
}

/** The cable is pulled after the Nth APDU of the `nth` CMD sequence that gets that far (default 1). */
export interface DropFault {
  command: string;
  after: number;
  nth?: number;
}

/** The fault-once key of a drop, as remembered in the state file. */
export function dropKey(d: DropFault): string {
  return `drop=${d.command}:${d.after}${d.nth ? `:${d.nth}` : ''}`;
}

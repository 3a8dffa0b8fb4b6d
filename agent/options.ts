import type { Argv } from 'yargs';
import {
  DEFAULT_SETTINGS,
  ZVT_SERIAL_DEFAULTS,
  parseSettings,
  type PortSettings,
} from '../protocol/transport/port-spec.js';
import type { SessionOptions } from '../protocol/line/session/session.js';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { validPartBytes } from '../wipe/backup/parts.js';
import { PROTOCOLS, type ProtocolName } from './protocol-choice.js';

/**
 * Option groups shared by the commands that talk to a terminal. The port settings have no
 * yargs defaults: the defaults depend on the protocol (line 115200 8N1, ZVT 9600 8N2), and a
 * flag the technician gives always wins.
 */
export interface PortArgs {
  protocol?: string;
  baud?: number;
  'data-bits'?: number;
  parity?: string;
  'stop-bits'?: number;
  'flow-control'?: string;
  timeout: number;
}

export function withPortSettings<T>(y: Argv<T>): Argv<T & PortArgs> {
  return y
    .option('protocol', {
      type: 'string',
      choices: PROTOCOLS,
      describe: 'Terminal protocol [default: line; zvt for zvt+tcp:// and sim:zvt]',
      group: 'Port settings:',
    })
    .option('baud', {
      type: 'number',
      describe: 'Baud rate [default: 115200; zvt: 9600]',
      group: 'Port settings:',
    })
    .option('data-bits', {
      type: 'number',
      choices: [7, 8],
      describe: 'Data bits [default: 8]',
      group: 'Port settings:',
    })
    .option('parity', {
      type: 'string',
      choices: ['none', 'even', 'odd'],
      describe: 'Parity [default: none]',
      group: 'Port settings:',
    })
    .option('stop-bits', {
      type: 'number',
      choices: [1, 2],
      describe: 'Stop bits [default: 1; zvt: 2]',
      group: 'Port settings:',
    })
    .option('flow-control', {
      type: 'string',
      choices: ['none', 'rtscts', 'xonxoff'],
      describe: 'Flow control [default: none]',
      group: 'Port settings:',
    })
    .option('timeout', {
      type: 'number',
      default: 3000,
      describe: 'Milliseconds to wait for each answer before resending (3 resends)',
      group: 'Port settings:',
    }) as unknown as Argv<T & PortArgs>;
}

/** The port settings: the protocol's defaults (README: Commands), then whatever flag was given. */
export function portSettingsFrom(a: PortArgs, protocol: ProtocolName = 'line'): PortSettings {
  const given = {
    ...(a.baud !== undefined ? { baud: a.baud } : {}),
    ...(a['data-bits'] !== undefined ? { dataBits: a['data-bits'] } : {}),
    ...(a.parity !== undefined ? { parity: a.parity } : {}),
    ...(a['stop-bits'] !== undefined ? { stopBits: a['stop-bits'] } : {}),
    ...(a['flow-control'] !== undefined ? { flowControl: a['flow-control'] } : {}),
  };
  return parseSettings(given, protocol === 'zvt' ? ZVT_SERIAL_DEFAULTS : DEFAULT_SETTINGS);
}

export function sessionOptionsFrom(a: PortArgs): Partial<SessionOptions> {
  const t = Number.isFinite(a.timeout) && a.timeout >= 10 ? Math.min(a.timeout, 600_000) : 3000;
  return { requestTimeoutMs: t, helloTimeoutMs: Math.max(t, Math.min(10_000, t * 3)) };
}

/**
 * The backup part size when --backup-part-size is not given: a crash (kill -9) mid-read costs
 * the partial part, read again. ZVT runs at 9600 baud (872.7 B/s): 64 KiB is 75 s of reading,
 * where the default 4 MiB would be 80 minutes. Our line protocol's links are far faster.
 */
export const ZVT_PART_BYTES = 64 * 1024;

export function defaultPartBytes(protocol: string | undefined): number | undefined {
  return protocol === 'zvt' ? ZVT_PART_BYTES : undefined;
}

/** --backup-part-size: bytes of plaintext per backup part, a multiple of 4096 (README: backup). */
export function partBytesFrom(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!validPartBytes(value)) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--backup-part-size ${value}: give a whole number of bytes, a multiple of 4096`,
    );
  }
  return value;
}

import type { Argv } from 'yargs';
import { parseSettings, type PortSettings } from '../protocol/transport/port-spec.js';
import type { SessionOptions } from '../protocol/line/session/session.js';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { validPartBytes } from '../wipe/backup/parts.js';

/** Option groups shared by the commands that talk to a terminal. */
export interface PortArgs {
  baud: number;
  'data-bits': number;
  parity: string;
  'stop-bits': number;
  'flow-control': string;
  timeout: number;
}

export function withPortSettings<T>(y: Argv<T>): Argv<T & PortArgs> {
  return y
    .option('baud', { type: 'number', default: 115200, describe: 'Baud rate', group: 'Port settings:' })
    .option('data-bits', {
      type: 'number',
      default: 8,
      choices: [7, 8],
      describe: 'Data bits',
      group: 'Port settings:',
    })
    .option('parity', {
      type: 'string',
      default: 'none',
      choices: ['none', 'even', 'odd'],
      describe: 'Parity',
      group: 'Port settings:',
    })
    .option('stop-bits', {
      type: 'number',
      default: 1,
      choices: [1, 2],
      describe: 'Stop bits',
      group: 'Port settings:',
    })
    .option('flow-control', {
      type: 'string',
      default: 'none',
      choices: ['none', 'rtscts', 'xonxoff'],
      describe: 'Flow control',
      group: 'Port settings:',
    })
    .option('timeout', {
      type: 'number',
      default: 3000,
      describe: 'Milliseconds to wait for each answer before resending (3 resends)',
      group: 'Port settings:',
    }) as unknown as Argv<T & PortArgs>;
}

export function portSettingsFrom(a: PortArgs): PortSettings {
  return parseSettings({
    baud: a.baud,
    dataBits: a['data-bits'],
    parity: a.parity,
    stopBits: a['stop-bits'],
    flowControl: a['flow-control'],
  });
}

export function sessionOptionsFrom(a: PortArgs): Partial<SessionOptions> {
  const t = Number.isFinite(a.timeout) && a.timeout >= 10 ? Math.min(a.timeout, 600_000) : 3000;
  return { requestTimeoutMs: t, helloTimeoutMs: Math.max(t, Math.min(10_000, t * 3)) };
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

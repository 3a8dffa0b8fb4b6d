import { ErrorCode, PosdecomError } from '../errors.js';

export type FlowControl = 'none' | 'rtscts' | 'xonxoff';
export type Parity = 'none' | 'even' | 'odd';

export interface PortSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: Parity;
  stopBits: 1 | 2;
  flowControl: FlowControl;
}

export const DEFAULT_SETTINGS: PortSettings = {
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  flowControl: 'none',
};

/** XON/XOFF steals two byte values and 7-bit links lose the top bit: only base64 is safe there. */
export function isEightBitClean(s: PortSettings): boolean {
  return s.dataBits === 8 && s.flowControl !== 'xonxoff';
}

/** Bytes per second on the wire: start bit + data bits + parity + stop bits per byte. */
export function lineByteRate(s: PortSettings): number {
  return s.baudRate / (1 + s.dataBits + (s.parity === 'none' ? 0 : 1) + s.stopBits);
}

/**
 * ZVT's own defaults on a serial line (PA00P016): 9600 baud, 8 data bits, no parity, 2 stop
 * bits, no flow control. Only defaults: an explicit flag wins.
 */
export const ZVT_SERIAL_DEFAULTS: PortSettings = {
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 2,
  flowControl: 'none',
};

/** ZVT over TCP listens on 20007 unless told otherwise. */
export const ZVT_TCP_PORT = 20007;

export type PortSpec =
  | { kind: 'device'; path: string }
  /** A serial device server: the serial line's bytes (our framing, or ZVT's DLE framing) over TCP. */
  | { kind: 'tcp'; host: string; port: number }
  /** ZVT's native TCP transport (PA00P016 ch. 4): raw APDUs, no DLE framing, no CRC, no ACK. */
  | { kind: 'zvt-tcp'; host: string; port: number }
  | { kind: 'sim'; model: string; params: Record<string, string>; key: string };

/** `/dev/ttyUSB0`, `COM3`, `tcp://host:port`, `zvt+tcp://host[:20007]`, or `sim:<model>[?seed=N&...]`. */
export function parsePortSpec(text: string): PortSpec {
  if (text.length === 0 || text.length > 1024 || text.includes('\0')) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--port: not a port name: ${JSON.stringify(text.slice(0, 64))}`,
    );
  }
  if (text.startsWith('sim:')) {
    const [model = '', query = ''] = text.slice(4).split('?', 2);
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(model)) {
      throw new PosdecomError(ErrorCode.UsageInvalid, `--port ${text}: expected sim:<model>[?seed=N]`);
    }
    const params: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(query)) params[k] = v;
    return { kind: 'sim', model, params, key: text };
  }
  if (text.startsWith('zvt+tcp://')) {
    const m = /^zvt\+tcp:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(text);
    const port = m ? Number(m[2] ?? ZVT_TCP_PORT) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new PosdecomError(ErrorCode.UsageInvalid, `--port ${text}: expected zvt+tcp://host[:port]`);
    }
    return { kind: 'zvt-tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
  }
  if (text.startsWith('tcp://')) {
    const m = /^tcp:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(text);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new PosdecomError(ErrorCode.UsageInvalid, `--port ${text}: expected tcp://host:port`);
    }
    return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
  }
  return { kind: 'device', path: text };
}

export function parseSettings(
  input: {
    baud?: number;
    dataBits?: number;
    parity?: string;
    stopBits?: number;
    flowControl?: string;
  },
  defaults: PortSettings = DEFAULT_SETTINGS,
): PortSettings {
  const s: PortSettings = { ...defaults };
  const bad = (flag: string, value: unknown, expected: string) =>
    new PosdecomError(ErrorCode.UsageInvalid, `--${flag} ${String(value)}: expected ${expected}`);
  if (input.baud !== undefined) {
    if (!Number.isInteger(input.baud) || input.baud < 300 || input.baud > 4_000_000) {
      throw bad('baud', input.baud, 'a whole number from 300 to 4000000');
    }
    s.baudRate = input.baud;
  }
  if (input.dataBits !== undefined) {
    if (input.dataBits !== 7 && input.dataBits !== 8) throw bad('data-bits', input.dataBits, '7 or 8');
    s.dataBits = input.dataBits;
  }
  if (input.parity !== undefined) {
    if (input.parity !== 'none' && input.parity !== 'even' && input.parity !== 'odd') {
      throw bad('parity', input.parity, 'none, even or odd');
    }
    s.parity = input.parity;
  }
  if (input.stopBits !== undefined) {
    if (input.stopBits !== 1 && input.stopBits !== 2) throw bad('stop-bits', input.stopBits, '1 or 2');
    s.stopBits = input.stopBits;
  }
  if (input.flowControl !== undefined) {
    if (input.flowControl !== 'none' && input.flowControl !== 'rtscts' && input.flowControl !== 'xonxoff') {
      throw bad('flow-control', input.flowControl, 'none, rtscts or xonxoff');
    }
    s.flowControl = input.flowControl;
  }
  return s;
}

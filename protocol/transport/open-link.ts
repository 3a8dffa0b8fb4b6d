import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPortStream } from '@serialport/stream';
import type { Binding } from './binding-types.js';
import { ErrorCode, PosdecomError } from '../errors.js';
import type { Link } from './link.js';
import {
  isEightBitClean,
  lineByteRate,
  parsePortSpec,
  type PortSettings,
  type PortSpec,
} from './port-spec.js';
import { EndpointBinding } from './sim-binding.js';
import { connectSimulated } from './sim-registry.js';

/**
 * Opens the link that `--port` names (README: Ports). A TCP link carries bytes only: whether
 * they are a serial line's (tcp://) or ZVT's raw APDUs (zvt+tcp://) is the driver's business.
 */
export async function openLink(portText: string, settings: PortSettings): Promise<Link> {
  const spec = parsePortSpec(portText);
  switch (spec.kind) {
    case 'sim':
      return openSerial(
        spec,
        settings,
        new EndpointBinding(() => connectSimulated(spec)),
        `simulated ${portText}`,
      );
    case 'device': {
      const { SerialPort } = await import('serialport');
      return openSerial(spec, settings, SerialPort.binding as Binding, spec.path);
    }
    case 'tcp':
      return openTcp(spec, settings, `tcp://${spec.host}:${spec.port}`);
    case 'zvt-tcp':
      return openTcp(spec, settings, `zvt+tcp://${spec.host}:${spec.port}`);
  }
}

function translateOpenError(err: Error, where: string): PosdecomError {
  const text = err.message;
  if (/ENOENT|No such file|cannot find the file|File not found/i.test(text)) {
    return new PosdecomError(ErrorCode.TransportUnknownPort, `no such port: ${where} (see posdecom ports)`);
  }
  if (/EBUSY|lock|Resource temporarily unavailable|Access denied/i.test(text)) {
    return new PosdecomError(ErrorCode.TransportPortBusy, `port busy: ${where} is in use by another program`);
  }
  if (/EACCES|Permission denied/i.test(text)) {
    return new PosdecomError(
      ErrorCode.TransportOpenFailed,
      `permission denied opening ${where} (on Linux, add yourself to the dialout group)`,
    );
  }
  if (err instanceof PosdecomError) return err;
  return new PosdecomError(ErrorCode.TransportOpenFailed, `cannot open ${where}: ${text.split('\n')[0]}`);
}

async function openSerial(
  spec: PortSpec,
  settings: PortSettings,
  binding: Binding,
  description: string,
): Promise<Link> {
  const path =
    spec.kind === 'device' ? spec.path : spec.kind === 'sim' ? spec.key : `${spec.host}:${spec.port}`;
  const port = new SerialPortStream({
    binding,
    path,
    baudRate: settings.baudRate,
    dataBits: settings.dataBits,
    parity: settings.parity,
    stopBits: settings.stopBits,
    rtscts: settings.flowControl === 'rtscts',
    xon: settings.flowControl === 'xonxoff',
    xoff: settings.flowControl === 'xonxoff',
    autoOpen: false,
  });
  // Writes before open are queued silently by serialport; we wait for open instead.
  await new Promise<void>((resolve, reject) => {
    port.open((err) => (err ? reject(translateOpenError(err, description)) : resolve()));
  });
  return linkOverStream(port, description, settings, () =>
    port.isOpen ? new Promise<void>((resolve) => port.close(() => resolve())) : Promise.resolve(),
  );
}

async function openTcp(
  spec: { host: string; port: number },
  settings: PortSettings,
  description: string,
): Promise<Link> {
  const socket = new Socket();
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => reject(translateOpenError(err, description)));
    socket.connect(spec.port, spec.host, () => resolve());
  });
  return linkOverStream(socket, description, settings, async () => {
    socket.destroy();
  });
}

/** A serial port stream and a TCP socket are both Duplex streams: one Link shape for both. */
function linkOverStream(
  stream: Duplex,
  description: string,
  settings: PortSettings,
  closeStream: () => Promise<void>,
): Link {
  let closedByUs = false;
  let closed = false;
  const closeListeners: ((reason: Error | undefined) => void)[] = [];
  const hangUp = (reason: Error | undefined) => {
    if (closed) return;
    closed = true;
    if (!closedByUs) for (const l of closeListeners) l(reason);
  };
  stream.on('close', (err?: Error) => hangUp(err instanceof Error ? err : undefined));
  stream.on('error', (err: Error) => hangUp(err));
  return {
    description,
    eightBitClean: isEightBitClean(settings),
    byteRate: lineByteRate(settings),
    get closed() {
      return closed;
    },
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new PosdecomError(ErrorCode.TransportDisconnected, `link lost: ${description}`));
          return;
        }
        stream.write(bytes, (err) =>
          err
            ? reject(
                new PosdecomError(
                  ErrorCode.TransportWriteFailed,
                  `write failed on ${description}: ${err.message}`,
                ),
              )
            : resolve(),
        );
      }),
    onData: (listener) => stream.on('data', listener),
    onClose: (listener) => closeListeners.push(listener),
    close: async () => {
      closedByUs = true;
      if (!closed) await closeStream();
      closed = true;
    },
  };
}

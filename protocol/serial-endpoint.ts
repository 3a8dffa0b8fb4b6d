import type { ByteEndpoint } from './terminal/link.js';
import { ErrorCode, PosdecomError } from './errors.js';

/**
 * A real serial port (or pty) as a ByteEndpoint, so the simulated terminal can serve on the
 * same wire a physical terminal would: `posdecom simulate --link` and `--device`.
 */
export async function openSerialEndpoint(path: string, baudRate: number): Promise<ByteEndpoint> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(new PosdecomError(ErrorCode.TransportOpenFailed, `cannot open ${path}: ${err.message}`))
        : resolve(),
    ),
  );
  let closed = false;
  const closeListeners: (() => void)[] = [];
  const hangUp = () => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l();
  };
  port.on('close', hangUp);
  port.on('error', hangUp);
  return {
    get closed() {
      return closed;
    },
    write: (bytes) => {
      if (!closed) port.write(bytes);
    },
    onData: (listener) => port.on('data', listener),
    onClose: (listener) => closeListeners.push(listener),
    close: () => {
      if (!closed && port.isOpen) port.close();
      hangUp();
    },
  };
}

import type { ByteEndpoint } from './memory-link.js';
import { endpointOverStream } from './stream-endpoint.js';
import { ErrorCode, PosdecomError } from '../errors.js';

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
  return endpointOverStream(port, () => {
    if (port.isOpen) port.close();
  });
}

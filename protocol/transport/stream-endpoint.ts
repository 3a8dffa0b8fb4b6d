import type { Duplex } from 'node:stream';
import type { ByteEndpoint } from './memory-link.js';

/**
 * Any byte stream (a serial port, a pty, a TCP socket) as the far end of a link for the
 * simulated terminal: `posdecom simulate --link/--device`, device-server tests and the benchmark.
 */
export function endpointOverStream(stream: Duplex, end: () => void): ByteEndpoint {
  let closed = false;
  const closeListeners: (() => void)[] = [];
  const hangUp = () => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l();
  };
  stream.on('close', hangUp);
  stream.on('error', hangUp);
  return {
    get closed() {
      return closed;
    },
    write: (bytes) => {
      if (!closed) stream.write(bytes);
    },
    onData: (listener) => stream.on('data', listener),
    onClose: (listener) => closeListeners.push(listener),
    close: () => {
      if (!closed) end();
      hangUp();
    },
  };
}

import { createServer, type Socket } from 'node:net';
import { ErrorCode, PosdecomError } from '../errors.js';
import type { ByteEndpoint } from './memory-link.js';
import { endpointOverStream } from './stream-endpoint.js';

/**
 * A TCP listener whose every accepted connection is a cable plugged into a simulated terminal
 * (`posdecom simulate --listen`): `attach` takes each as a ByteEndpoint. Loopback unless told.
 */
export interface Listening {
  /** host:port actually bound (port 0 asks the system for a free one). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** `127.0.0.1:20007`, `[::1]:20007` or `:20007` (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : -1;
  if (!m || port < 0 || port > 65535) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:20007`,
    );
  }
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

export async function listenTcp(
  attach: (endpoint: ByteEndpoint) => void,
  at: { host: string; port: number },
): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    attach(endpointOverStream(socket, () => socket.end()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new PosdecomError(
          ErrorCode.TransportOpenFailed,
          `cannot listen on ${at.host}:${at.port}: ${err.message}`,
        ),
      ),
    );
    server.listen(at.port, at.host, () => resolve());
  });
  const address = server.address();
  return {
    host: at.host,
    port: address && typeof address === 'object' ? address.port : at.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createLinkPair } from './memory-link.js';
import { createPtyPair } from './pty.js';
import { openSerialEndpoint } from './serial-endpoint.js';
import type { AttachablePeer } from './sim-registry.js';
import { endpointOverStream } from './stream-endpoint.js';

/**
 * The ways a simulated terminal (or any peer that takes the far end of a link) can be reached
 * from outside the sim: registry: a Node stream in this process, a TCP port (what a serial
 * device server offers), or a pseudo-terminal made by socat (what a USB-serial cable offers).
 * Each new connection is a cable plugged in; the peer keeps its state between them.
 */

export interface Served {
  /** What to pass as --port (tcp://host:port), or the pty's path. */
  readonly address: string;
  close(): Promise<void>;
}

/** A Duplex whose far end is `peer`: bytes written reach the terminal, its answers are read. */
export function duplexTo(peer: AttachablePeer): Duplex {
  const [ours, theirs] = createLinkPair();
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      ours.write(chunk);
      done();
    },
    final(done) {
      ours.close();
      done();
    },
    destroy(err, done) {
      ours.close();
      done(err);
    },
  });
  ours.onData((bytes) => stream.push(bytes));
  ours.onClose(() => stream.push(null));
  peer.attach(theirs);
  return stream;
}

/** Listens on TCP (loopback unless told otherwise); each accepted socket is a new cable. */
export async function serveOnTcp(
  peer: AttachablePeer,
  o: { host?: string; port?: number } = {},
): Promise<Served> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    peer.attach(endpointOverStream(socket, () => socket.end()));
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  return {
    address: `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A pseudo-terminal pair (socat): the peer on one end, `link` the path a program opens as its
 * serial port, e.g. `posdecom decommission --port /tmp/term0`.
 */
export async function serveOnPty(peer: AttachablePeer, o: { link: string; baud?: number }): Promise<Served> {
  const pty = await createPtyPair(o.link);
  let endpoint;
  try {
    endpoint = await openSerialEndpoint(pty.terminalPath, o.baud ?? 115_200);
  } catch (err) {
    await pty.close();
    throw err;
  }
  peer.attach(endpoint);
  return {
    address: pty.agentPath,
    close: async () => {
      endpoint.close();
      await pty.close();
    },
  };
}

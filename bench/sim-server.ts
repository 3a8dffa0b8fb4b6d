/**
 * A simulated terminal served over TCP in its own process, so a measurement of the agent's
 * memory is the agent's alone: `node dist/bench/sim-server.js '<SimOptions JSON>'` prints
 * `tcp://127.0.0.1:PORT` on stdout once listening, and runs until SIGTERM or SIGINT.
 */
import { createServer, type Socket } from 'node:net';
import { SimulatedTerminal, type ByteEndpoint, type SimOptions } from '../protocol/terminal/index.js';

function socketEndpoint(socket: Socket): ByteEndpoint {
  let closed = false;
  const closeListeners: (() => void)[] = [];
  const hangUp = () => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l();
  };
  socket.setNoDelay(true);
  socket.on('close', hangUp);
  socket.on('error', hangUp);
  return {
    get closed() {
      return closed;
    },
    write: (bytes) => {
      if (!closed) socket.write(bytes);
    },
    onData: (listener) => socket.on('data', listener),
    onClose: (listener) => closeListeners.push(listener),
    close: () => {
      socket.end();
      hangUp();
    },
  };
}

const options = JSON.parse(process.argv[2] ?? '{}') as SimOptions;
const terminal = await SimulatedTerminal.create(options);
const server = createServer((socket) => terminal.attach(socketEndpoint(socket)));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`tcp://127.0.0.1:${address.port}\n`);
});
const stop = () => {
  server.close();
  void terminal.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

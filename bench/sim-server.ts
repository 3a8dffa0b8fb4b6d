/**
 * A simulated terminal served over TCP in its own process, so a measurement of the agent's
 * memory is the agent's alone: `node dist/bench/sim-server.js '<SimOptions JSON>'` prints
 * `tcp://127.0.0.1:PORT` on stdout once listening, and runs until SIGTERM or SIGINT.
 */
import { createServer, type Socket } from 'node:net';
import { endpointOverStream } from '../protocol/transport/stream-endpoint.js';
import { SimulatedTerminal, type ByteEndpoint, type SimOptions } from '../protocol/line/terminal/index.js';

function socketEndpoint(socket: Socket): ByteEndpoint {
  socket.setNoDelay(true);
  return endpointOverStream(socket, () => socket.end());
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

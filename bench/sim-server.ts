/**
 * A simulated terminal served over TCP in its own process, so a measurement of the agent's
 * memory is the agent's alone: `node dist/bench/sim-server.js '<SimOptions JSON>'` prints
 * `tcp://127.0.0.1:PORT` on stdout once listening, and runs until SIGTERM or SIGINT.
 */
import { serveOnTcp } from '../protocol/transport/sim-serve.js';
import { SimulatedTerminal, type SimOptions } from '../protocol/line/terminal/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as SimOptions;
const terminal = await SimulatedTerminal.create(options);
const served = await serveOnTcp(terminal);
process.stdout.write(`${served.address}\n`);
const stop = () => {
  void served
    .close()
    .then(() => terminal.close())
    .then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

import { writeFile } from 'node:fs/promises';
import { openSerialEndpoint } from '../../protocol/transport/serial-endpoint.js';
import { serveOnPty, type Served } from '../../protocol/transport/sim-serve.js';
import {
  createSimulator,
  type SimulatorHandle,
  type SimulatorSpec,
} from '../../protocol/transport/sim-registry.js';
import type { Listening } from '../../protocol/transport/tcp-listen.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { listenZvt, zvtAddress, zvtWorkOrder } from './simulate-zvt.js';
import { describeError } from '../errors-text.js';
import { simulatedWorkOrder } from '../work-order.js';

export interface SimulateArgs {
  model: string;
  seed: number;
  link?: string;
  device?: string;
  /** ZVT: serve native ZVT over TCP on HOST:PORT. */
  listen?: string;
  state?: string;
  faults?: string;
  baud?: number;
  paced: boolean;
  turnaround: number;
  unsettled: boolean;
  noncompliant: boolean;
  proto?: string;
  scale?: number;
  'work-order-out'?: string;
}

/**
 * `posdecom simulate`: the simulated terminal on a real wire, for integrators' CI and for
 * rehearsing with the real serialport binding. Runs until SIGINT or SIGTERM.
 */
export async function runSimulate(args: SimulateArgs): Promise<number> {
  let pty: Served | undefined;
  let tcp: Listening | undefined;
  let terminal: SimulatorHandle | undefined;
  try {
    const spec: SimulatorSpec = { model: args.model, seed: args.seed };
    const baud = args.baud ?? (args.model === 'zvt' ? 9600 : 115200);
    if (args.state) spec.statePath = args.state;
    if (args.faults) spec.faults = args.faults;
    if (args.paced) spec.baud = baud;
    if (args.turnaround > 0) spec.turnaroundMs = args.turnaround;
    if (args.unsettled) spec.unsettled = true;
    if (args.noncompliant) spec.noncompliant = true;
    if (args.proto) spec.protocol = args.proto;
    if (args.scale !== undefined) spec.scale = args.scale;
    terminal = await createSimulator(spec);
    if (args.listen) tcp = await listenZvt(terminal, args.listen);
    else if (args.link) pty = await serveOnPty(terminal, { link: args.link, baud });
    else terminal.attach(await openSerialEndpoint(args.device!, baud));
    const id = terminal.identity;
    const where = tcp ? zvtAddress(tcp) : (args.link ?? args.device);
    if (args['work-order-out']) {
      const workOrder = terminal.protocol === 'zvt' ? zvtWorkOrder(terminal) : simulatedWorkOrder(terminal);
      await writeFile(args['work-order-out'], JSON.stringify(workOrder, null, 2) + '\n', { mode: 0o600 });
    }
    process.stdout.write(`${where}\n`);
    process.stderr.write(
      `simulated ${id.vendor} ${id.model} serial ${id.serial} on ${where}; Ctrl-C to stop\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return ExitCode.Success;
  } catch (err) {
    process.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await tcp?.close();
    await terminal?.close().catch(() => undefined);
    await pty?.close();
  }
}

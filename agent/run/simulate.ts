import { writeFile } from 'node:fs/promises';
import { openSerialEndpoint } from '../../protocol/transport/serial-endpoint.js';
import { serveOnPty, type Served } from '../../protocol/transport/sim-serve.js';
import {
  createSimulator,
  type SimulatorHandle,
  type SimulatorSpec,
} from '../../protocol/transport/sim-registry.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { simulatedWorkOrder } from '../work-order.js';

export interface SimulateArgs {
  model: string;
  seed: number;
  link?: string;
  device?: string;
  state?: string;
  faults?: string;
  baud: number;
  paced: boolean;
  turnaround: number;
  unsettled: boolean;
  noncompliant: boolean;
  proto?: string;
  'work-order-out'?: string;
}

/**
 * `posdecom simulate`: the simulated terminal on a real wire, for integrators' CI and for
 * rehearsing with the real serialport binding. Runs until SIGINT or SIGTERM.
 */
export async function runSimulate(args: SimulateArgs): Promise<number> {
  let pty: Served | undefined;
  let terminal: SimulatorHandle | undefined;
  try {
    const spec: SimulatorSpec = { model: args.model, seed: args.seed };
    if (args.state) spec.statePath = args.state;
    if (args.faults) spec.faults = args.faults;
    if (args.paced) spec.baud = args.baud;
    if (args.turnaround > 0) spec.turnaroundMs = args.turnaround;
    if (args.unsettled) spec.unsettled = true;
    if (args.noncompliant) spec.noncompliant = true;
    if (args.proto) spec.protocol = args.proto;
    terminal = await createSimulator(spec);
    if (args.link) pty = await serveOnPty(terminal, { link: args.link, baud: args.baud });
    else terminal.attach(await openSerialEndpoint(args.device!, args.baud));
    const id = terminal.identity;
    if (args['work-order-out']) {
      const workOrder = simulatedWorkOrder(terminal);
      await writeFile(args['work-order-out'], JSON.stringify(workOrder, null, 2) + '\n', { mode: 0o600 });
    }
    process.stdout.write(`${args.link ?? args.device}\n`);
    process.stderr.write(
      `simulated ${id.vendor} ${id.model} serial ${id.serial} on ${args.link ?? args.device}; Ctrl-C to stop\n`,
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
    await terminal?.close().catch(() => undefined);
    await pty?.close();
  }
}

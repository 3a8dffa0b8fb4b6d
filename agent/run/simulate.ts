import { writeFile } from 'node:fs/promises';
import { createPtyPair, type PtyPair } from '../../protocol/transport/pty.js';
import { openSerialEndpoint } from '../../protocol/transport/serial-endpoint.js';
import {
  createSimulator,
  type SimulatorHandle,
  type SimulatorSpec,
} from '../../protocol/transport/sim-registry.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';

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
  let pty: PtyPair | undefined;
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
    let servePath: string;
    if (args.link) {
      pty = await createPtyPair(args.link);
      servePath = pty.terminalPath;
    } else servePath = args.device!;
    const t = terminal;
    const attach = async () => {
      const endpoint = await openSerialEndpoint(servePath, args.baud);
      t.attach(endpoint);
      return endpoint;
    };
    await attach();
    const id = terminal.identity;
    if (args['work-order-out']) {
      const workOrder = {
        id: `WO-SIM-${id.serial}`,
        terminal: { serial: id.serial, model: id.model },
        reason: 'end-of-lease',
        owner: { merchant: 'Simulated Merchant', location: 'Test bench' },
        technician: { name: 'Test Technician', organisation: 'Test Estate', contact: 'tech@example.org' },
        destination: 'recycling',
        authority: { reference: `SIM-AUTH-${id.serial}`, code: terminal.authorityCode },
      };
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

import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import {
  createSimulator,
  forgetSimulatedTerminal,
  registerSimulatedTerminal,
  type SimulatorHandle,
  type SimulatorSpec,
} from '../protocol/transport/sim-registry.js';
import { duplexTo, serveOnPty, serveOnTcp } from '../protocol/transport/sim-serve.js';
import { listenTcp } from '../protocol/transport/tcp-listen.js';
import { simulatedWorkOrder, parseWorkOrders } from '../agent/work-order.js';
import { zvtAddress, zvtWorkOrder } from '../agent/run/simulate-zvt.js';
import { asFailure, failingAs } from './failure.js';
import type { LineModel, Served, SimulatedTerminal, SimulatorOptions, ZvtModel } from './simulator-types.js';
import type { WorkOrder } from './work-order.js';

/**
 * `posdecom/simulator`: the simulated payment terminal for an integrator's own tests (README:
 * Use the simulator in your own tests). A terminal of a model and a seed, reached in this
 * process (a `sim:` port for runDecommission, or a Node stream), over TCP or on a
 * pseudo-terminal (for the CLI in another process); its faults changed while it runs; its
 * ground truth read afterwards. Every type is declared in api/: nothing internal leaks.
 *
 * `protocol` names what the terminal speaks: 'line' (posdecom's line protocol, protocol/line/
 * SPEC.md) with three models, or 'zvt' (the ZVT ECR interface, protocol/zvt/README.md) with
 * one. The same calls serve both; what differs is said where it differs.
 */

export const SIMULATOR_MODELS: { readonly line: readonly LineModel[]; readonly zvt: readonly ZvtModel[] } = {
  line: ['countertop', 'mobile', 'unattended'],
  zvt: ['zvt'],
};

let instances = 0;

export async function createSimulatedTerminal(options: SimulatorOptions): Promise<SimulatedTerminal> {
  const seed = options.seed ?? 1;
  const handle = await failingAs(async () => createSimulator(specFrom(options, seed)));
  const port = `sim:${options.model}?seed=${seed}&instance=${++instances}`;
  registerSimulatedTerminal(port, handle);
  return terminalOver(handle, options, seed, port);
}

/** The options as `sim:` and `posdecom simulate` take them; a protocol-model mismatch is refused. */
function specFrom(o: SimulatorOptions, seed: number): SimulatorSpec {
  const zvt = o.model === 'zvt';
  const usage = (m: string) => new PosdecomError(ErrorCode.UsageInvalid, `simulated terminal: ${m}`);
  const speaks = zvt ? 'zvt' : 'line';
  if (o.protocol !== undefined && o.protocol !== speaks) {
    throw usage(`model ${o.model} speaks ${speaks}, not ${String(o.protocol)}`);
  }
  if (zvt && o.protocolVersion !== undefined) throw usage('protocolVersion is for the line protocol');
  if (!zvt && o.blockSize !== undefined) throw usage('blockSize is for the ZVT terminal');
  return {
    model: o.model,
    seed,
    ...(o.faults ? { faults: o.faults } : {}),
    ...(o.stateFile ? { statePath: o.stateFile } : {}),
    ...(o.baud ? { baud: o.baud } : {}),
    ...(o.turnaroundMs !== undefined ? { turnaroundMs: o.turnaroundMs } : {}),
    ...(o.scale ? { scale: o.scale } : {}),
    ...(o.unsettled ? { unsettled: true } : {}),
    ...(o.noncompliant ? { noncompliant: true } : {}),
    ...(o.protocolVersion !== undefined ? { protocol: o.protocolVersion } : {}),
    ...(o.blockSize !== undefined ? { blockSize: o.blockSize } : {}),
  };
}

function terminalOver(
  handle: SimulatorHandle,
  options: SimulatorOptions,
  seed: number,
  port: string,
): SimulatedTerminal {
  const served = new Set<Served>();
  const keep = (s: Served): Served => {
    served.add(s);
    return { address: s.address, close: () => (served.delete(s), s.close()) };
  };
  const zvt = handle.protocol === 'zvt';
  return {
    protocol: zvt ? 'zvt' : 'line',
    model: options.model,
    seed,
    get identity() {
      const { vendor, model, serial, tid, mid } = handle.identity;
      return { vendor, model, serial, tid, mid };
    },
    authorityCode: handle.authorityCode,
    port,
    workOrder: (changes = {}) => ({ ...readyWorkOrder(handle), ...changes }),
    connect: () => duplexTo(handle),
    serveTcp: async (o = {}) => keep(await failingAs(() => serveTcp(handle, o))),
    servePty: async (o) => keep(await failingAs(() => serveOnPty(handle, o))),
    setFaults: (faults) => {
      try {
        handle.setFaults(faults);
      } catch (err) {
        throw asFailure(err);
      }
    },
    state: () => handle.snapshot(),
    close: async () => {
      forgetSimulatedTerminal(port);
      for (const s of served) await s.close();
      served.clear();
      await handle.close();
    },
  };
}

/** A line terminal's authority code, or a ZVT terminal's TID and password, in a valid work order. */
function readyWorkOrder(handle: SimulatorHandle): WorkOrder {
  if (handle.protocol !== 'zvt') return simulatedWorkOrder(handle);
  const [order] = parseWorkOrders(JSON.stringify(zvtWorkOrder(handle)), 'the simulated ZVT work order');
  return order!;
}

/** Line frames over TCP as over a cable (tcp://); ZVT on its native TCP transport (zvt+tcp://). */
async function serveTcp(handle: SimulatorHandle, o: { host?: string; port?: number }): Promise<Served> {
  const attachTcp = handle.attachTcp?.bind(handle);
  if (!attachTcp) return serveOnTcp(handle, o);
  const listening = await listenTcp(attachTcp, { host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  return { address: zvtAddress(listening), close: () => listening.close() };
}

export type {
  LineModel,
  Served,
  SimulatedTerminal,
  SimulatorOptions,
  TerminalIdentity,
  TerminalState,
  ZvtModel,
} from './simulator-types.js';
export { PosdecomFailure } from './failure.js';
export type { WorkOrder } from './work-order.js';

import type { Duplex } from 'node:stream';
import {
  createSimulator,
  forgetSimulatedTerminal,
  registerSimulatedTerminal,
  type SimulatorHandle,
} from '../protocol/transport/sim-registry.js';
import { duplexTo, serveOnPty, serveOnTcp } from '../protocol/transport/sim-serve.js';
import { simulatedWorkOrder } from '../agent/work-order.js';
import { asFailure, failingAs } from './failure.js';
import type { WorkOrder } from './work-order.js';

/**
 * `posdecom/simulator`: the simulated payment terminal for an integrator's own tests (README:
 * Use the simulator in your own tests). A terminal of a model and a seed, reached in this
 * process (a `sim:` port for runDecommission, or a Node stream), over TCP or on a
 * pseudo-terminal (for the CLI in another process); its faults changed while it runs; its
 * ground truth read afterwards. Every type here is declared here: nothing internal leaks.
 *
 * `protocol` names what the terminal speaks: 'line' (posdecom's line protocol, protocol/line/
 * SPEC.md) is the one there is; other protocols join as other values, with their own models.
 */

export type LineModel = 'countertop' | 'mobile' | 'unattended';

export const SIMULATOR_MODELS: { readonly line: readonly LineModel[] } = {
  line: ['countertop', 'mobile', 'unattended'],
};

export interface SimulatorOptions {
  /** What the terminal speaks (default 'line'). */
  protocol?: 'line';
  model: LineModel;
  /** Everything it holds derives from the seed: serial, TID/MID, store contents, keys (default 1). */
  seed?: number;
  /** Faults from the start, as `posdecom simulate --faults` takes them, e.g. 'erase-lie=saf'. */
  faults?: string;
  /** Keep its state in this file, so a new terminal with the same file continues where it was. */
  stateFile?: string;
  /** Pace its output at this line speed (bits per second, 8N1); default unpaced. */
  baud?: number;
  /** Milliseconds between a request and the start of its answer. */
  turnaroundMs?: number;
  /** Multiply every store's size. */
  scale?: number;
  /** The settlement host is unreachable: the open batch cannot settle nor the SAF queue forward. */
  unsettled?: boolean;
  /** Keeps clear PANs and track data in its batch, saf and journal stores (a PCI DSS failure the job reports). */
  noncompliant?: boolean;
  /** The newest line protocol version it speaks (default '1.1'); '1.0' has no SAF queue. */
  protocolVersion?: '1.0' | '1.1';
}

export interface TerminalIdentity {
  vendor: string;
  model: string;
  serial: string;
  tid: string | null;
  mid: string | null;
}

/** A way in from outside this process; close() stops listening (the terminal stays). */
export interface Served {
  /** tcp://127.0.0.1:PORT, or the pseudo-terminal's path: what the CLI takes as --port. */
  readonly address: string;
  close(): Promise<void>;
}

/** Ground truth afterwards; under the erase-lie fault `erased` is the claim and `lied` the truth. */
export interface TerminalState {
  identity: TerminalIdentity & { state: string };
  bound: boolean;
  decommissioned: boolean;
  /** Acceptance channels: true while a channel still accepts cards. */
  channels: Record<string, boolean>;
  /** Network links: true while up. */
  links: Record<string, boolean>;
  batch: { open: boolean; count: number };
  /** Payments queued offline (store-and-forward) and not yet forwarded to the host. */
  saf: { queued: number };
  stores: {
    name: string;
    kind: string;
    size: number;
    cardData: boolean;
    /** Distinct bytes of the original content sent in whole READ replies (what a backup took). */
    readBytes: number;
    /** Every byte of the original content was sent. */
    readWhole: boolean;
    /** Distinct bytes sent after the erase (what a read-back looked at). */
    readBackBytes: number;
    erased: boolean;
    eraseMethod: string | null;
    eraseCount: number;
    lied: boolean;
  }[];
  keys: { slot: number; type: string; kcv: string | null; zeroized: boolean }[];
  /** Requests carried out, by type (e.g. READ, ERASE, ZEROIZE). */
  requests: Record<string, number>;
  frames: { received: number; sent: number; duplicates: number; bad: number };
}

export interface SimulatedTerminal {
  readonly protocol: 'line';
  readonly model: LineModel;
  readonly seed: number;
  readonly identity: TerminalIdentity;
  /** The decommission authority code its work order must carry. */
  readonly authorityCode: string;
  /** A --port for code in this process: runDecommission({ port }) or the CLI's main(). */
  readonly port: string;
  /** A ready work order for it (authority code included), with your changes on top. */
  workOrder(changes?: Partial<WorkOrder>): WorkOrder;
  /** A new cable as a Node stream: write requests, read answers. */
  connect(): Duplex;
  serveTcp(options?: { host?: string; port?: number }): Promise<Served>;
  /** On a pseudo-terminal made by socat (apt-get install socat); `link` is the path to open. */
  servePty(options: { link: string; baud?: number }): Promise<Served>;
  /** Other faults from now on, in the same text as `faults`; '' for none. */
  setFaults(faults: string): void;
  state(): TerminalState;
  /** Stops it, its servers and its port; its state file (if any) is saved. */
  close(): Promise<void>;
}

let instances = 0;

export async function createSimulatedTerminal(options: SimulatorOptions): Promise<SimulatedTerminal> {
  const seed = options.seed ?? 1;
  const handle = await failingAs(() =>
    createSimulator({
      model: options.model,
      seed,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.stateFile ? { statePath: options.stateFile } : {}),
      ...(options.baud ? { baud: options.baud } : {}),
      ...(options.turnaroundMs !== undefined ? { turnaroundMs: options.turnaroundMs } : {}),
      ...(options.scale ? { scale: options.scale } : {}),
      ...(options.unsettled ? { unsettled: true } : {}),
      ...(options.noncompliant ? { noncompliant: true } : {}),
      ...(options.protocolVersion !== undefined ? { protocol: options.protocolVersion } : {}),
    }),
  );
  const port = `sim:${options.model}?seed=${seed}&instance=${++instances}`;
  registerSimulatedTerminal(port, handle);
  return terminalOver(handle, options.model, seed, port);
}

function terminalOver(
  handle: SimulatorHandle,
  model: LineModel,
  seed: number,
  port: string,
): SimulatedTerminal {
  const served = new Set<Served>();
  const keep = (s: Served): Served => {
    served.add(s);
    return { address: s.address, close: () => (served.delete(s), s.close()) };
  };
  const { vendor, model: modelName, serial, tid, mid } = handle.identity;
  return {
    protocol: 'line',
    model,
    seed,
    identity: { vendor, model: modelName, serial, tid, mid },
    authorityCode: handle.authorityCode,
    port,
    workOrder: (changes = {}) => ({ ...simulatedWorkOrder(handle), ...changes }),
    connect: () => duplexTo(handle),
    serveTcp: async (o = {}) => keep(await failingAs(() => serveOnTcp(handle, o))),
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

export { PosdecomFailure } from './failure.js';
export type { WorkOrder } from './work-order.js';

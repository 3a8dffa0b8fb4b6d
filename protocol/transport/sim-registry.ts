import { createLinkPair, type ByteEndpoint } from './memory-link.js';
import { ErrorCode, PosdecomError } from '../errors.js';
import type { PortSpec } from './port-spec.js';
import type { SimOptions } from '../line/terminal/index.js';
import type { SimulatorSnapshot } from '../simulator/snapshot.js';

export type { SimulatorSnapshot, StoreSnapshot, KeySlotSnapshot } from '../simulator/snapshot.js';

/**
 * In-process peers by port text: simulated terminals, and anything else that can take the far
 * end of a link (a replay of a recorded transcript, a hostile test double). A peer outlives its
 * links, so reopening `sim:countertop?seed=1` after a cable pull reaches the same terminal.
 */
export interface AttachablePeer {
  attach(endpoint: ByteEndpoint): void;
}

const terminals = new Map<string, Promise<AttachablePeer>>();

/** Registers a peer under any `sim:` port text, e.g. `sim:replay?file=x` or `sim:countertop?seed=7`. */
export function registerSimulatedTerminal(portText: string, peer: AttachablePeer): void {
  terminals.set(portText, Promise.resolve(peer));
}

export function forgetSimulatedTerminals(): void {
  terminals.clear();
}

/** Unregisters one port text (a terminal that was closed); a later open of it fails as unknown. */
export function forgetSimulatedTerminal(portText: string): void {
  terminals.delete(portText);
}

function numberParam(params: Record<string, string>, name: string): number | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new PosdecomError(ErrorCode.UsageInvalid, `--port sim: ${name}=${v} is not a non-negative number`);
  }
  return n;
}

/**
 * A simulated terminal described without naming its implementation: the CLI's `simulate` and
 * `demo` and the `sim:` port text all come through here, so agent code never reaches into a
 * simulator (the layering rule in .dependency-cruiser.cjs).
 */
export interface SimulatorSpec {
  model: string;
  seed: number;
  /** Fault text as `--faults` takes it (protocol/line/terminal/faults.ts). */
  faults?: string;
  statePath?: string;
  /** Pace output at this line speed. */
  baud?: number;
  turnaroundMs?: number;
  /** Store sizes multiplied by this. */
  scale?: number;
  /** The settlement host is unreachable. */
  unsettled?: boolean;
  /** Keeps clear PANs and track data in its stores (a PCI DSS failure, for the agent's scanner). */
  noncompliant?: boolean;
  /** The newest protocol version it speaks: '1.0' (no SAF queue) or '1.1'. */
  protocol?: string;
  /** ZVT: data bytes per Read File block (default 1024). */
  blockSize?: number;
}

export interface SimulatorHandle extends AttachablePeer {
  readonly identity: {
    vendor: string;
    model: string;
    serial: string;
    tid: string | null;
    mid: string | null;
  };
  /**
   * What the technician's work order must carry to authorize a decommission of it: the
   * authority code (line), or the terminal's ZVT password (zvt, the work order's `zvt` block).
   */
  readonly authorityCode: string;
  /** The protocol it speaks, for `--protocol`; absent: line. */
  readonly protocol?: 'line' | 'zvt';
  /** What happened to it so far: reads, erases, keys, requests. */
  snapshot(): SimulatorSnapshot;
  /** Other faults from now on, in `--faults` text; '' for none. */
  setFaults(faults: string): void;
  /** ZVT: a native ZVT-over-TCP connection (raw APDUs), as `simulate --listen` serves it. */
  attachTcp?(endpoint: ByteEndpoint): void;
  close(): Promise<void>;
}

/** `sim:zvt`: the simulated ZVT terminal (protocol/zvt/terminal), faults as its README lists them. */
async function createZvtSimulator(spec: SimulatorSpec): Promise<SimulatorHandle> {
  const { SimulatedZvtTerminal } = await import('../zvt/terminal/index.js');
  const t = await SimulatedZvtTerminal.create({
    seed: spec.seed,
    ...(spec.faults ? { faults: spec.faults } : {}),
    ...(spec.statePath ? { statePath: spec.statePath } : {}),
    ...(spec.baud ? { baud: spec.baud } : {}),
    ...(spec.turnaroundMs !== undefined ? { turnaroundMs: spec.turnaroundMs } : {}),
    ...(spec.scale ? { fileScale: spec.scale } : {}),
    ...(spec.blockSize ? { fileBlockSize: spec.blockSize } : {}),
    ...(spec.noncompliant ? { noncompliant: true } : {}),
    ...(spec.unsettled ? { faults: [spec.faults, 'unsettled'].filter(Boolean).join(',') } : {}),
  });
  const who = t.workOrderFor();
  return {
    get identity() {
      const now = t.workOrderFor();
      return { vendor: 'unknown', model: now.deviceName, serial: now.serial, tid: now.tid, mid: null };
    },
    authorityCode: who.password,
    protocol: 'zvt',
    attach: (endpoint) => t.attach(endpoint),
    attachTcp: (endpoint) => t.attachTcp(endpoint),
    snapshot: () => t.genericSnapshot(),
    setFaults: (faults) => t.setFaults(faults),
    close: () => t.close(),
  };
}

export async function createSimulator(spec: SimulatorSpec): Promise<SimulatorHandle> {
  if (spec.model === 'zvt') return createZvtSimulator(spec);
  const sim = await import('../line/terminal/index.js');
  if (!(sim.MODEL_NAMES as readonly string[]).includes(spec.model)) {
    throw new PosdecomError(
      ErrorCode.TransportUnknownPort,
      `no such simulated terminal model: ${spec.model} (models: ${[...sim.MODEL_NAMES, 'zvt'].join(', ')})`,
    );
  }
  const options: SimOptions = { model: spec.model as SimOptions['model'], seed: spec.seed };
  if (spec.faults) options.faults = sim.parseFaults(spec.faults);
  if (spec.statePath) options.statePath = spec.statePath;
  if (spec.baud) options.baud = spec.baud;
  if (spec.turnaroundMs !== undefined) options.turnaroundMs = spec.turnaroundMs;
  if (spec.scale) options.storeScale = spec.scale;
  if (spec.unsettled) options.unsettledHost = true;
  if (spec.noncompliant) options.noncompliant = true;
  if (spec.protocol !== undefined) options.protocol = spec.protocol as SimOptions['protocol'];
  const terminal = await sim.SimulatedTerminal.create(options);
  return {
    get identity() {
      return terminal.identity;
    },
    authorityCode: terminal.authorityCode,
    attach: (endpoint) => terminal.attach(endpoint),
    snapshot: () => terminal.snapshot(),
    setFaults: (faults) => terminal.setFaults(sim.parseFaults(faults)),
    close: () => terminal.close(),
  };
}

async function createFromSpec(spec: Extract<PortSpec, { kind: 'sim' }>): Promise<SimulatorHandle> {
  const p = spec.params;
  const known = new Set(['seed', 'faults', 'state', 'baud', 'turnaround', 'scale', 'unsettled']);
  known.add('noncompliant');
  if (spec.model === 'zvt') known.add('block');
  else known.add('proto');
  for (const k of Object.keys(p)) {
    if (!known.has(k)) throw new PosdecomError(ErrorCode.UsageInvalid, `--port sim: unknown parameter ${k}`);
  }
  const sim: SimulatorSpec = { model: spec.model, seed: numberParam(p, 'seed') ?? 1 };
  if (p.faults) sim.faults = p.faults;
  if (p.state) sim.statePath = p.state;
  const baud = numberParam(p, 'baud');
  if (baud) sim.baud = baud;
  const turnaround = numberParam(p, 'turnaround');
  if (turnaround !== undefined) sim.turnaroundMs = turnaround;
  const scale = numberParam(p, 'scale');
  if (scale) sim.scale = scale;
  if (p.unsettled === '1' || p.unsettled === 'true') sim.unsettled = true;
  if (p.noncompliant === '1' || p.noncompliant === 'true') sim.noncompliant = true;
  if (p.proto !== undefined) sim.protocol = p.proto;
  const block = numberParam(p, 'block');
  if (block) sim.blockSize = block;
  return createSimulator(sim);
}

export async function connectSimulated(spec: Extract<PortSpec, { kind: 'sim' }>): Promise<ByteEndpoint> {
  let terminal = terminals.get(spec.key);
  if (!terminal) {
    terminal = createFromSpec(spec);
    terminals.set(spec.key, terminal);
    terminal.catch(() => terminals.delete(spec.key));
  }
  const t = await terminal;
  const [agentEnd, terminalEnd] = createLinkPair();
  t.attach(terminalEnd);
  return agentEnd;
}

export async function simulatedTerminalFor(portText: string): Promise<AttachablePeer | undefined> {
  return terminals.get(portText);
}

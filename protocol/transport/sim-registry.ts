import { createLinkPair, type ByteEndpoint } from './memory-link.js';
import { ErrorCode, PosdecomError } from '../errors.js';
import type { PortSpec } from './port-spec.js';
import type { SimulatedTerminal, SimOptions } from '../line/terminal/index.js';

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

function numberParam(params: Record<string, string>, name: string): number | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new PosdecomError(ErrorCode.UsageInvalid, `--port sim: ${name}=${v} is not a non-negative number`);
  }
  return n;
}

async function createFromSpec(spec: Extract<PortSpec, { kind: 'sim' }>): Promise<SimulatedTerminal> {
  const sim = await import('../line/terminal/index.js');
  if (!(sim.MODEL_NAMES as readonly string[]).includes(spec.model)) {
    throw new PosdecomError(
      ErrorCode.TransportUnknownPort,
      `no such simulated terminal model: ${spec.model} (models: ${sim.MODEL_NAMES.join(', ')})`,
    );
  }
  const p = spec.params;
  const known = new Set(['seed', 'faults', 'state', 'baud', 'turnaround', 'scale', 'unsettled']);
  for (const k of Object.keys(p)) {
    if (!known.has(k)) throw new PosdecomError(ErrorCode.UsageInvalid, `--port sim: unknown parameter ${k}`);
  }
  const options: SimOptions = { model: spec.model as SimOptions['model'], seed: numberParam(p, 'seed') ?? 1 };
  if (p.faults) options.faults = sim.parseFaults(p.faults);
  if (p.state) options.statePath = p.state;
  const baud = numberParam(p, 'baud');
  if (baud) options.baud = baud;
  const turnaround = numberParam(p, 'turnaround');
  if (turnaround !== undefined) options.turnaroundMs = turnaround;
  const scale = numberParam(p, 'scale');
  if (scale) options.storeScale = scale;
  if (p.unsettled === '1' || p.unsettled === 'true') options.unsettledHost = true;
  return sim.SimulatedTerminal.create(options);
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

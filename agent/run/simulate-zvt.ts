import type { SimulatorHandle } from '../../protocol/transport/sim-registry.js';
import { listenTcp, parseListen, type Listening } from '../../protocol/transport/tcp-listen.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

/**
 * What `posdecom simulate --model zvt` adds: native ZVT over TCP (`--listen`, raw APDUs, what
 * `zvt+tcp://` reaches), and a work order carrying the terminal's ZVT password.
 */
export async function listenZvt(terminal: SimulatorHandle, listen: string): Promise<Listening> {
  const attachTcp = terminal.attachTcp?.bind(terminal);
  if (!attachTcp) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      '--listen serves native ZVT over TCP: it needs --model zvt',
    );
  }
  return listenTcp(attachTcp, parseListen(listen));
}

export function zvtAddress(l: Listening): string {
  return `zvt+tcp://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;
}

/** A ready work order for a simulated ZVT terminal: its serial, device name, TID and password. */
export function zvtWorkOrder(terminal: SimulatorHandle): Record<string, unknown> {
  const id = terminal.identity;
  return {
    id: `WO-SIM-${id.serial}`,
    terminal: { serial: id.serial, model: id.model, ...(id.tid ? { tid: id.tid } : {}) },
    reason: 'end-of-lease',
    owner: { merchant: 'Simulated Merchant', location: 'Test bench' },
    technician: { name: 'Test Technician', organisation: 'Test Estate', contact: 'tech@example.org' },
    destination: 'recycling',
    authority: { reference: `SIM-AUTH-${id.serial}` },
    zvt: { password: terminal.authorityCode },
  };
}

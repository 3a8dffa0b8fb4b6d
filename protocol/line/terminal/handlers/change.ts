import { bool, Refusal, str } from './refusal.js';
import { enableBlockers, finalizeBlockers, unbindBlockers } from './rules.js';
import { ok, type Handler } from './handler.js';
import { recordSettlement } from '../settlement.js';
import type { Channel, LinkKind } from '../../../domain.js';

/**
 * The requests that change the terminal: switching acceptance channels and network links
 * (reversible, but authorized), and the destructive FORWARD, SETTLE, ZEROIZE, UNBIND and FINALIZE.
 * Op-id bookkeeping (s.7.5) is the dispatcher's; these handlers only execute.
 */

function refuse(reasons: string[], what: string): void {
  if (reasons.length > 0) throw new Refusal('ORDER', `${what}: ${reasons.join(', ')}`, { reasons });
}

export const channel: Handler = ({ device, header }) => {
  const name = str(header, 'channel', 32);
  const enabled = bool(header, 'enabled');
  if (!device.channels.has(name as Channel))
    throw new Refusal('UNKNOWN_CHANNEL', `no channel '${name}' on this terminal`);
  if (enabled) refuse(enableBlockers(device), 'cannot enable acceptance');
  device.channels.set(name as Channel, enabled);
  device.persist();
  return ok({ channel: name, enabled });
};

export const network: Handler = ({ device, header }) => {
  const name = str(header, 'link', 32);
  const up = bool(header, 'up');
  if (!device.links.has(name as LinkKind))
    throw new Refusal('UNKNOWN_LINK', `no link '${name}' on this terminal`);
  if (up && device.decommissioned) refuse(['decommissioned'], 'cannot bring a link up');
  device.links.set(name as LinkKind, up);
  device.persist();
  return ok({ link: name, up });
};

/** Both FORWARD and SETTLE talk to the acquirer's host, which needs a link and a binding. */
function reachHost(device: Parameters<Handler>[0]['device'], type: 'FORWARD' | 'SETTLE'): void {
  if (![...device.links.values()].some((up) => up)) {
    throw new Refusal('HOST_UNREACHABLE', 'no network link is up');
  }
  const down = device.faults.hostUnreachable(type) || (type === 'SETTLE' && device.options.unsettledHost);
  if (down || !device.bound) {
    throw new Refusal(
      'HOST_UNREACHABLE',
      `host of ${device.birth.acquirer ?? 'the acquirer'} did not answer`,
    );
  }
}

/** s.6.20: sends the SAF queue to the host; an empty queue is a success with nothing sent. */
export const forward: Handler = ({ device }) => {
  const queue = device.safQueue();
  if (queue.count === 0) return ok({ count: 0, totals: [] });
  reachHost(device, 'FORWARD');
  device.markSafForwarded();
  device.persist();
  return ok({ count: queue.count, totals: queue.totals });
};

export const settle: Handler = ({ device }) => {
  // s.6.7 (1.1): with no open batch nothing is closed, and no batch is named.
  if (!device.batch.open) return ok({ batchId: '', count: 0, totals: [] });
  const batchId = String(device.batch.number).padStart(6, '0');
  reachHost(device, 'SETTLE');
  const { count, totals, number } = device.batch;
  device.batch = { open: false, count: 0, totals: [], number: number + 1 };
  recordSettlement(device, { batchId, count, totals }, number);
  device.persist();
  return ok({ batchId, count, totals });
};

export const zeroize: Handler = ({ device }) => {
  const zeroized = device.keys.zeroize();
  device.persist();
  return ok({ zeroized });
};

export const unbind: Handler = ({ device }) => {
  refuse(unbindBlockers(device), 'cannot unbind');
  device.bound = false;
  device.persist();
  return ok({ tid: null, mid: null, hostConfig: 'cleared' });
};

export const finalize: Handler = ({ device }) => {
  refuse(finalizeBlockers(device), 'not ready to finalize');
  device.decommissioned = true;
  device.persist();
  return ok({ state: 'decommissioned', safeToPowerOff: true });
};

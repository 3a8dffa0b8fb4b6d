import { bool, Refusal, str } from './refusal.js';
import { enableBlockers, finalizeBlockers, unbindBlockers } from './rules.js';
import { ok, type Handler } from './handler.js';
import type { Channel, LinkKind } from '../../../domain.js';

/**
 * The requests that change the terminal: switching acceptance channels and network links
 * (reversible, but authorized), and the destructive SETTLE, ZEROIZE, UNBIND and FINALIZE.
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

export const settle: Handler = ({ device }) => {
  const batchId = String(device.batch.number).padStart(6, '0');
  if (!device.batch.open) return ok({ batchId, count: 0, totals: [] });
  if (![...device.links.values()].some((up) => up)) {
    throw new Refusal('HOST_UNREACHABLE', 'no network link is up');
  }
  if (device.options.unsettledHost || !device.bound) {
    throw new Refusal('HOST_UNREACHABLE', `settlement host of ${device.birth.acquirer} did not answer`);
  }
  const { count, totals } = device.batch;
  device.batch = { open: false, count: 0, totals: [], number: device.batch.number + 1 };
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

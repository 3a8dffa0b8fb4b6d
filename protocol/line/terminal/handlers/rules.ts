import type { Device } from '../device.js';
import type { Store } from '../store.js';

/**
 * The terminal's own guards on irreversible steps (SPEC.md s.6.11, s.6.16, s.6.17, s.6.20), in one
 * place where a reviewer sees them all. Reasons are short machine-readable words with the
 * thing they name, e.g. "channel-on:nfc", so an agent can act on them or print them.
 */

function channelsOn(device: Device): string[] {
  return [...device.channels].filter(([, on]) => on).map(([name]) => `channel-on:${name}`);
}

function erasesRunning(device: Device): string[] {
  const stores = new Set([...device.jobs.values()].filter((j) => j.state === 'running').map((j) => j.store));
  return [...stores].map((s) => `erase-running:${s}`);
}

/** Payments in the SAF queue are money until forwarded: nothing may lose them (s.6.20). */
function safPending(device: Device): string[] {
  return device.safQueue().count > 0 ? ['saf-pending'] : [];
}

/** Why ERASE of `store` must wait; empty when it may start. */
export function eraseBlockers(device: Device, store: Store): string[] {
  const reasons = channelsOn(device);
  if (store.kind === 'batch' && device.batch.open) reasons.push('batch-open');
  if (store.kind === 'saf') reasons.push(...safPending(device));
  if (device.eraser.runningOn(store.name)) reasons.push(`erase-running:${store.name}`);
  return reasons;
}

/** Why UNBIND must wait. */
export function unbindBlockers(device: Device): string[] {
  return [...(device.batch.open ? ['batch-open'] : []), ...safPending(device)];
}

/** Why acceptance may not be switched back on. */
export function enableBlockers(device: Device): string[] {
  return device.decommissioned ? ['decommissioned'] : erasesRunning(device);
}

/** Everything that stands between this terminal and FINALIZE. */
export function finalizeBlockers(device: Device): string[] {
  return [
    ...channelsOn(device),
    ...[...device.links].filter(([, up]) => up).map(([name]) => `link-up:${name}`),
    ...(device.batch.open ? ['batch-open'] : []),
    ...safPending(device),
    ...(device.bound ? ['bound'] : []),
    ...device.keys.loadedSlots().map((slot) => `key-loaded:${slot}`),
    ...erasesRunning(device),
    ...[...device.stores.values()].filter((s) => !s.state.erased).map((s) => `store-not-erased:${s.name}`),
  ];
}

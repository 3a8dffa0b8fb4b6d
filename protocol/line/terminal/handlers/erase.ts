import { ERASE_METHODS, type EraseMethod } from '../../../domain.js';
import { opId, Refusal, str } from './refusal.js';
import { eraseBlockers } from './rules.js';
import { runAsync } from '../../../simulator/steps.js';
import { ok, type Handler, type Reply } from './handler.js';
import type { Device } from '../device.js';
import type { EraseJob } from '../state-file.js';
import type { Store } from '../store.js';

/**
 * ERASE starts a job and answers at once (s.6.11); ERASE_STATUS and PROGRESS events report
 * it; VERIFY_ERASE is the terminal's own check, which an agent must not take on trust (under
 * the erase-lie fault it is exactly what lies).
 */

export function storeNamed(device: Device, name: string): Store {
  const store = device.stores.get(name);
  if (!store) throw new Refusal('UNKNOWN_STORE', `no store '${name}' on this terminal`);
  return store;
}

/** ERASE's reply for a job, now: what a repeated op also gets (s.7.5: a running ERASE returns its state). */
export function eraseReply(job: EraseJob): Reply {
  return ok({
    op: job.op,
    store: job.store,
    method: job.method,
    passes: job.passes,
    state: job.state,
    ...keyReport(job),
  });
}

/**
 * A finished crypto erase reports the media key destroyed (s.6.11). Under erase-lie it says so
 * too: that is the lie.
 */
function keyReport(job: EraseJob): { keyDestroyed?: boolean } {
  return job.method === 'crypto' && job.state === 'done' ? { keyDestroyed: true } : {};
}

export const erase: Handler = ({ device, header }) => {
  const op = opId(header);
  const store = storeNamed(device, str(header, 'store', 64));
  const method = str(header, 'method', 32);
  if (
    !(ERASE_METHODS as readonly string[]).includes(method) ||
    !device.profile.erase.includes(method as EraseMethod)
  ) {
    throw new Refusal(
      'UNSUPPORTED',
      `erase method '${method}' is not supported (${device.profile.erase.join(', ')})`,
    );
  }
  const reasons = eraseBlockers(device, store);
  if (reasons.length > 0)
    throw new Refusal('ORDER', `cannot erase ${store.name}: ${reasons.join(', ')}`, { reasons });
  const passes = method === 'overwrite3' ? 3 : 1;
  const total = store.size * passes;
  // A failing flash gives up somewhere in the middle, reproducibly for a given seed.
  const failAt = device.faults.eraseFails(store.name)
    ? Math.floor(total * (0.3 + 0.4 * device.faults.eraseRng.float()))
    : null;
  const job = device.eraser.enqueue(op, store, method as EraseMethod, {
    failAt,
    lie: device.faults.eraseLies(store.name),
  });
  device.persist();
  return eraseReply(job);
};

export const eraseStatus: Handler = ({ device, header }) => {
  const op = opId(header);
  const job = device.jobs.get(op);
  if (!job) throw new Refusal('BAD_REQUEST', `no erase with op '${op}' is known to this terminal`);
  return ok({ op, store: job.store, state: job.state, done: job.done, total: job.total, ...keyReport(job) });
};

export const verifyErase: Handler = async ({ device, header }) => {
  const store = storeNamed(device, str(header, 'store', 64));
  const verified = await runAsync(store.verifySteps());
  const method = store.state.erased ? store.state.method : null;
  const pattern = method === null ? 'none' : method === 'crypto' ? 'random' : 'zeros';
  return ok({ store: store.name, verified, method: method ?? 'none', pattern });
};

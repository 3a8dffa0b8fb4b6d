import { isAuthorized } from '../auth.js';
import { hasSafQueue } from '../../messages.js';
import { num, Refusal, str } from './refusal.js';
import { planRead } from './read-plan.js';
import { runAsync } from '../../../simulator/steps.js';
import { storeNamed } from './erase.js';
import { hexOut } from './session.js';
import { ok, type Handler } from './handler.js';
import type { Store } from '../store.js';

/** The read-only requests: no authorization, no change, safe to repeat (s.6). */

export const identify: Handler = ({ device }) => ok({ ...device.identity() });

export const status: Handler = ({ device, session }) => {
  const { saf, ...rest } = device.status(isAuthorized(session));
  return ok(hasSafQueue(session.proto) ? { ...rest, saf } : rest);
};

export const keys: Handler = ({ device }) => ok({ slots: device.keys.slots() });

export const stores: Handler = async ({ device }) => {
  const infos = [];
  // Hashing a big store takes a while; between chunks the event loop keeps pacing output.
  for (const store of device.stores.values()) {
    const info = await runAsync(store.infoSteps());
    infos.push({ ...info, sha256: hexOut(device, info.sha256) });
  }
  return ok({ stores: infos });
};

export const MAX_READ = 1024 * 1024;
/** What fitted last time, per store and line shape: the next READ's first guess. */
const hints = new WeakMap<Store, Map<string, number>>();

export const read: Handler = ({ device, session, seq, header }) => {
  const store = storeNamed(device, str(header, 'store', 64));
  const offset = num(header, 'offset');
  const length = num(header, 'length');
  if (!Number.isInteger(offset) || !Number.isInteger(length))
    throw new Refusal('RANGE', 'offset and length must be integers');
  // s.6.10 (1.1): a range that runs past the end is read up to the end (length 0 at the end);
  // only a start beyond the end, or a length out of bounds, is RANGE.
  if (offset < 0 || length < 1 || length > MAX_READ || offset > store.size) {
    throw new Refusal(
      'RANGE',
      `[${offset}, +${length}) is outside ${store.name} (size ${store.size}, 1 to ${MAX_READ} bytes per READ)`,
    );
  }
  const want = Math.min(length, store.size - offset);
  const shape = `${session.maxLine}|${session.enc}|${session.z}`;
  const known = hints.get(store) ?? new Map<string, number>();
  hints.set(store, known);
  const plan = planRead({
    seq,
    store: store.name,
    offset,
    want,
    maxLine: session.maxLine,
    enc: session.enc,
    deflate: session.z === 'deflate',
    read: (at, n) => store.read(at, n),
    hint: known.get(shape),
  });
  // Only a read the line cut short teaches capacity; a tail read says nothing about it.
  if (plan.length < want) known.set(shape, plan.ratio);
  const cut = device.faults.readCut(store.name, offset, plan.length, store.size);
  if (cut === undefined) store.noteServed(offset, plan.length);
  return { header: plan.header, data: plan.data, idempotent: true, ...(cut === undefined ? {} : { cut }) };
};

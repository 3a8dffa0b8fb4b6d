import { afterEach, expect } from 'vitest';
import { createLinkPair, SimulatedTerminal, type SimOptions } from '../../protocol/line/terminal/index.js';
import { RawClient } from '../../protocol/line/terminal/raw-client.js';

/**
 * The simulator tests talk to a SimulatedTerminal frame by frame (no session layer). This makes
 * a file's terminals (countertop with the file's seed unless told otherwise) and closes them
 * after each test.
 */
export function simulatedTerminals(
  seed: number,
): (options?: Partial<SimOptions>) => Promise<SimulatedTerminal> {
  const open: SimulatedTerminal[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });
  return async (options = {}) => {
    const t = await SimulatedTerminal.create({ model: 'countertop', seed, ...options });
    open.push(t);
    return t;
  };
}

/** A raw client on a fresh cable to the terminal. */
export function connect(t: SimulatedTerminal): RawClient {
  const [ours, theirs] = createLinkPair();
  t.attach(theirs);
  return new RawClient(ours);
}

/** HELLO and AUTH done: ready for destructive requests. */
export async function authorizedSession(t: SimulatedTerminal): Promise<RawClient> {
  const c = connect(t);
  const { session: id } = await c.hello();
  expect(await c.authenticate(t.authorityCode, t.identity.serial, String(id))).toMatchObject({ ok: true });
  return c;
}

/**
 * The ground truth a job's backups must match: each store's digest as the job reads it, which
 * for the saf store is after its queue was forwarded (money first: FORWARD rewrites the store),
 * and for batch, settlements and logs after the batch was settled (SPEC.md s.6.7: settling
 * empties the batch store and appends to settlements and logs; a refused SETTLE changes nothing).
 * Taken from a twin of the terminal, so the terminal under test is not touched; the twin keeps
 * the options that decide whether FORWARD succeeds and drops the faults that would cut its link.
 */
export async function storeDigestsAsBackedUp(options: SimOptions): Promise<Map<string, string>> {
  const { statePath: _state, faults, ...rest } = options;
  const twin = await SimulatedTerminal.create({
    ...rest,
    ...(faults?.hostUnreachable ? { faults: { hostUnreachable: faults.hostUnreachable } } : {}),
  });
  try {
    const c = await authorizedSession(twin);
    await c.request('FORWARD', { op: 'ground-truth:forward' });
    await c.request('SETTLE', { op: 'ground-truth:settle' });
    c.close();
    return new Map(twin.storeNames.map((name) => [name, twin.storeDigest(name)]));
  } finally {
    await twin.close();
  }
}

/** Polls ERASE_STATUS until the erase is no longer running. */
export async function eraseOutcome(c: RawClient, op: string): Promise<Record<string, unknown>> {
  for (;;) {
    const status = await c.request('ERASE_STATUS', { op });
    if (status.state !== 'running') return status;
    await new Promise((r) => setTimeout(r, 15));
  }
}

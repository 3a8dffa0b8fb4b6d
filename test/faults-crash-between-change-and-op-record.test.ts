import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { Device } from '../protocol/line/terminal/device.js';
import { dispatch } from '../protocol/line/terminal/handlers/dispatcher.js';
import { DupCache } from '../protocol/line/terminal/handlers/dup-cache.js';
import type { Session } from '../protocol/line/terminal/handlers/handler.js';
import { resolveOptions } from '../protocol/line/terminal/options.js';
import type { PersistedState } from '../protocol/line/terminal/state-file.js';
import { removeScratch, scratch } from './helpers/fault-harness.js';

/**
 * The simulated terminal's state file is what a killed simulator (and the agent killed with it)
 * comes back to. A destructive request changes the terminal and records its op id (s.7.5); if a
 * crash could fall between the two writes, the file would show the change without the op, and
 * the agent's resend of the same op would do it again: a second erase of a store, a settlement
 * that reports 0 transactions. So every write of the file must have both or neither.
 */

afterAll(removeScratch);

describe('the simulated terminal’s state file', () => {
  it('never holds a destructive change without the op that made it', async () => {
    const statePath = join(scratch('state-writes'), 'state.json');
    const device = new Device(
      resolveOptions({ model: 'countertop', seed: 470, storeScale: 0.05, statePath }),
    );
    // Every state the file passes through, as a crash could find it.
    const written: PersistedState[] = [];
    const save = device.persist.bind(device);
    device.persist = (strict?: boolean) => {
      save(strict);
      if (existsSync(statePath)) written.push(JSON.parse(readFileSync(statePath, 'utf8')) as PersistedState);
    };
    for (const channel of device.channels.keys()) device.channels.set(channel, false);
    const session: Session = {
      proto: '1.1',
      id: 'test-session',
      maxLine: 65536,
      window: 8,
      enc: '8bit',
      z: 'none',
      dup: new DupCache(),
      nonces: new Map(),
      authorizedUntil: performance.now() + 60_000,
    };
    let seq = 0;
    const run = async (type: string, header: Record<string, unknown>) => {
      const reply = await dispatch(type, { device, session, seq: ++seq, header }, () => undefined);
      expect(reply.header, `${type} ${JSON.stringify(header)}`).toMatchObject({ ok: true });
    };
    await run('FORWARD', { op: 'job:forward' });
    await run('SETTLE', { op: 'job:settle' });
    await run('ERASE', { op: 'job:erase:journal', store: 'journal', method: 'crypto' });
    await run('ZEROIZE', { op: 'job:zeroize' });
    await run('UNBIND', { op: 'job:unbind' });
    device.eraser.stop();

    expect(written.length).toBeGreaterThan(0);
    for (const [i, state] of written.entries()) {
      const ops = new Set(state.ops.map((o) => o.op));
      const at = `write ${i + 1} of ${written.length}`;
      for (const job of state.jobs) expect(ops.has(job.op), `${at}: erase job ${job.op}`).toBe(true);
      if (state.stores.journal!.eraseCount > 0) expect(ops.has('job:erase:journal'), at).toBe(true);
      if (!state.batch.open) expect(ops.has('job:settle'), at).toBe(true);
      const saf = state.stores.saf!.layout.base;
      if (saf.kind === 'original' && saf.forwarded) expect(ops.has('job:forward'), at).toBe(true);
      if (state.keysZeroized.some(Boolean)) expect(ops.has('job:zeroize'), at).toBe(true);
      if (!state.bound) expect(ops.has('job:unbind'), at).toBe(true);
    }
    const last = written.at(-1)!;
    expect([last.batch.open, last.bound, last.stores.journal!.eraseCount]).toEqual([false, false, 1]);
  });
});

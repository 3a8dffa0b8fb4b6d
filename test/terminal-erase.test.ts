import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseFaults, SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { RawClient } from '../protocol/line/terminal/raw-client.js';
import { ManualClock } from './helpers/manual-clock.js';
import { authorizedSession, eraseOutcome, simulatedTerminals } from './helpers/sim-terminals.js';

const terminal = simulatedTerminals(404);

/** HELLO, AUTH and every channel off: ready to erase. */
async function session(t: SimulatedTerminal): Promise<RawClient> {
  const c = await authorizedSession(t);
  for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
    await c.request('CHANNEL', { channel, enabled: false });
  return c;
}

interface StoreRow {
  name: string;
  records: number;
  sha256: string;
  erased: boolean;
  size: number;
}
async function row(c: RawClient, name: string): Promise<StoreRow> {
  return ((await c.request('STORES')).stores as StoreRow[]).find((s) => s.name === name)!;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('simulated terminal: ERASE', () => {
  it('takes time, reports PROGRESS and ERASE_STATUS, and leaves zeros after overwrite3', async () => {
    // The flash controller runs on a clock the test moves: its progress is exact, under any load.
    const clock = new ManualClock();
    const t = await terminal({ eraseBytesPerSecond: 1024 * 1024, lineClock: clock });
    const c = await clock.runUntil(session(t));
    const original = await clock.runUntil(row(c, 'logs'));
    expect(original.records).toBeGreaterThan(0);
    const started = clock.now();
    expect(await c.request('ERASE', { op: 'w1', store: 'logs', method: 'overwrite3' })).toEqual({
      ok: true,
      op: 'w1',
      store: 'logs',
      method: 'overwrite3',
      passes: 3,
      state: 'running',
    });
    const midway = await c.request('ERASE_STATUS', { op: 'w1' });
    expect(midway).toMatchObject({ state: 'running', total: 3 * original.size });
    // 384 KiB of passes at 1 MiB/s: still running after 300 ms, done by 400 ms.
    await clock.advance(300 - (clock.now() - started));
    const later = await c.request('ERASE_STATUS', { op: 'w1' });
    expect(later).toMatchObject({ state: 'running', total: 3 * original.size });
    expect(later.done).toBeGreaterThan(0);
    expect(later.done).toBeLessThan(3 * original.size);
    expect(await clock.runUntil(eraseOutcome(c, 'w1'))).toMatchObject({
      state: 'done',
      done: 3 * original.size,
      total: 3 * original.size,
    });
    expect(clock.now() - started).toBeGreaterThanOrEqual((3 * original.size * 1000) / (1024 * 1024));
    expect(clock.now() - started).toBeLessThan(400);
    const progress = c.inbox.filter((f) => f.kind === 'E' && f.type === 'PROGRESS').map((f) => f.header);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.at(-1)).toEqual({ op: 'w1', done: 3 * original.size, total: 3 * original.size });
    const after = await row(c, 'logs');
    expect(after).toMatchObject({ erased: true, records: 0, size: original.size });
    const { bytes } = await c.readStore('logs', after.size, '8bit');
    expect(bytes.equals(Buffer.alloc(after.size))).toBe(true);
    expect(sha256(bytes)).toBe(after.sha256);
    expect(await c.request('VERIFY_ERASE', { store: 'logs' })).toEqual({
      ok: true,
      store: 'logs',
      verified: true,
      method: 'overwrite3',
      pattern: 'zeros',
    });
  });

  it('leaves pseudo-random ciphertext after crypto erase', async () => {
    const t = await terminal();
    const c = await session(t);
    // Money first: the saf store is erased only once its queue has gone to the host (s.6.20).
    expect(await c.request('ERASE', { op: 'c0', store: 'saf', method: 'crypto' })).toMatchObject({
      code: 'ORDER',
      reasons: ['saf-pending'],
    });
    expect(await c.request('FORWARD', { op: 'fw' })).toMatchObject({ ok: true });
    const before = t.readStoreBytes('saf', 0, 20_000);
    await c.request('ERASE', { op: 'c1', store: 'saf', method: 'crypto' });
    expect(await eraseOutcome(c, 'c1')).toMatchObject({ state: 'done' });
    const after = await row(c, 'saf');
    const { bytes } = await c.readStore('saf', after.size, '8bit');
    expect(sha256(bytes)).toBe(after.sha256);
    expect(bytes.equals(before)).toBe(false);
    expect(bytes.includes(Buffer.alloc(64))).toBe(false);
    expect(bytes.toString('latin1')).not.toMatch(/\d{15,16}/);
    expect(await c.request('VERIFY_ERASE', { store: 'saf' })).toMatchObject({
      verified: true,
      method: 'crypto',
      pattern: 'random',
    });
  });

  it('reports failed under erase-fail, and the store stays unerased', async () => {
    const t = await terminal({ faults: parseFaults('erase-fail=journal') });
    const c = await session(t);
    await c.request('ERASE', { op: 'f1', store: 'journal', method: 'overwrite1' });
    const status = await eraseOutcome(c, 'f1');
    expect(status).toMatchObject({ state: 'failed' });
    expect(Number(status.done)).toBeGreaterThan(0);
    expect(Number(status.done)).toBeLessThan(Number(status.total));
    expect(await row(c, 'journal')).toMatchObject({ erased: false });
    expect(await c.request('VERIFY_ERASE', { store: 'journal' })).toMatchObject({
      verified: false,
      method: 'none',
    });
    // Part of the data is still there: a read-back would show it.
    expect(t.readStoreBytes('journal', 256 * 1024 - 100, 100).equals(Buffer.alloc(100))).toBe(false);
  });

  it('lies under erase-lie: claims done, verified and zeros, while READ still returns the data', async () => {
    const t = await terminal({ faults: parseFaults('erase-lie=saf') });
    const c = await session(t);
    expect(await c.request('FORWARD', { op: 'fw' })).toMatchObject({ ok: true });
    const original = await row(c, 'saf');
    await c.request('ERASE', { op: 'l1', store: 'saf', method: 'overwrite1' });
    expect(await eraseOutcome(c, 'l1')).toMatchObject({ state: 'done' });
    const claimed = await row(c, 'saf');
    expect(claimed).toMatchObject({ erased: true, records: 0 });
    expect(claimed.sha256).toBe(sha256(Buffer.alloc(original.size)));
    expect(await c.request('VERIFY_ERASE', { store: 'saf' })).toMatchObject({
      verified: true,
      pattern: 'zeros',
    });
    const { bytes } = await c.readStore('saf', original.size, '8bit');
    expect(sha256(bytes)).toBe(original.sha256);
    expect(sha256(bytes)).not.toBe(claimed.sha256);
  });

  it('executes a retransmitted ERASE once and answers both copies alike (s.7.4)', async () => {
    const t = await terminal();
    const c = await session(t);
    const seq = c.nextSeq();
    const request = c.encode('ERASE', { op: 'd1', store: 'config', method: 'overwrite1' }, seq);
    c.send(request);
    c.send(request);
    const first = await c.waitFor((f) => f.kind === 'R' && f.seq === seq);
    const second = await c.waitFor((f) => f.kind === 'R' && f.seq === seq);
    expect(second.header).toEqual(first.header);
    expect(first.header).toMatchObject({ ok: true, state: 'running' });
    expect(t.eraseCount('config')).toBe(1);
    expect(t.stats().executed.ERASE).toBe(1);
    expect(t.stats().duplicates).toBe(1);
    // Same seq, different bytes: a new request (after wrap), executed as such.
    const wrapped = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
    c.send(c.encode('ERASE_STATUS', { op: 'd1' }, seq));
    expect((await wrapped).header).toMatchObject({ ok: true, op: 'd1' });
  });

  it('does not execute an op twice, even across a reconnect and a new session (s.7.5)', async () => {
    const t = await terminal({ eraseBytesPerSecond: 256 * 1024 });
    const c = await session(t);
    expect(
      await c.request('ERASE', { op: 'job7:erase:journal', store: 'journal', method: 'overwrite1' }),
    ).toMatchObject({
      state: 'running',
    });
    const settled = await c.request('SETTLE', { op: 'job7:settle' });
    c.close();
    await new Promise((r) => setTimeout(r, 10));

    const again = await session(t);
    const repeated = await again.request('ERASE', {
      op: 'job7:erase:journal',
      store: 'journal',
      method: 'overwrite1',
    });
    expect(repeated).toMatchObject({ ok: true, op: 'job7:erase:journal', state: 'running' });
    expect(await again.request('SETTLE', { op: 'job7:settle' })).toEqual(settled);
    expect(t.eraseCount('journal')).toBe(1);
    expect(t.stats().executed).toMatchObject({ ERASE: 1, SETTLE: 1 });
    expect(await eraseOutcome(again, 'job7:erase:journal')).toMatchObject({ state: 'done' });
    expect(
      await again.request('ERASE', { op: 'job7:erase:journal', store: 'journal', method: 'overwrite1' }),
    ).toMatchObject({
      state: 'done',
    });
    // An op id names one request: reusing it for another type is refused.
    expect(await again.request('ZEROIZE', { op: 'job7:settle' })).toMatchObject({ code: 'BAD_REQUEST' });
    expect(t.eraseCount('journal')).toBe(1);
  });

  it('runs erases one at a time in the order accepted, and refuses a second erase of the same store', async () => {
    const t = await terminal({ eraseBytesPerSecond: 512 * 1024 });
    const c = await session(t);
    await c.request('ERASE', { op: 'q1', store: 'logs', method: 'overwrite1' });
    await c.request('ERASE', { op: 'q2', store: 'config', method: 'overwrite1' });
    expect(await c.request('ERASE', { op: 'q3', store: 'logs', method: 'crypto' })).toMatchObject({
      code: 'ORDER',
      reasons: ['erase-running:logs'],
    });
    expect(await c.request('ERASE_STATUS', { op: 'q2' })).toMatchObject({ state: 'running', done: 0 });
    expect(await eraseOutcome(c, 'q2')).toMatchObject({ state: 'done' });
    expect(await c.request('ERASE_STATUS', { op: 'q1' })).toMatchObject({ state: 'done' });
    expect(await c.request('ERASE_STATUS', { op: 'never' })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizedSession, eraseOutcome, simulatedTerminals } from './helpers/sim-terminals.js';

/**
 * The simulated terminal's SETTLE does to its stores what a real end-of-day does (SPEC.md
 * s.6.7): the settled batch's records leave the batch store (cleared to 0xFF, as flash is), a
 * settlement record is appended to settlements and a line to the device logs. The text follows
 * from the seed and the batch, so two terminals of one seed settle into the same bytes, and a
 * restart on the state file keeps them.
 */

const terminal = simulatedTerminals(17);

interface Row {
  name: string;
  size: number;
  records: number;
  sha256: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('simulated terminal: SETTLE and the stores', () => {
  it('empties the batch store and appends a settlement record and a log line, as STORES then reports', async () => {
    const t = await terminal();
    const c = await authorizedSession(t);
    const before = (await c.request('STORES')).stores as Row[];
    const row = (rows: Row[], name: string) => rows.find((r) => r.name === name)!;
    const settled = await c.request('SETTLE', { op: 'settle' });
    const after = (await c.request('STORES')).stores as Row[];

    const batch = row(after, 'batch');
    expect(batch).toMatchObject({ size: row(before, 'batch').size, records: 0 });
    expect(t.readStoreBytes('batch', 0, batch.size).every((b) => b === 0xff)).toBe(true);

    for (const name of ['settlements', 'logs']) {
      const was = row(before, name);
      const now = row(after, name);
      expect(now.size, name).toBeGreaterThan(was.size);
      expect(now.records, name).toBe(was.records + 1);
      expect(now.sha256, name).toBe(sha256(t.readStoreBytes(name, 0, now.size)));
    }
    const settlements = row(after, 'settlements');
    const appended = t
      .readStoreBytes(
        'settlements',
        row(before, 'settlements').size,
        settlements.size - row(before, 'settlements').size,
      )
      .toString('latin1');
    const total = (settled.totals as { currency: string; minor: number }[])[0]!;
    expect(appended).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d SETTLE batch=${String(settled.batchId)} count=${String(settled.count)} sales=${total.currency} +${Math.floor(total.minor / 100)}\\.\\d\\d .* host=ACCEPTED ref=[0-9a-f]{8}\\n$`,
      ),
    );
    for (const name of ['journal', 'saf', 'config'])
      expect(row(after, name), name).toEqual(row(before, name));
  });

  it('changes nothing more when repeated with the same op, or when no batch is open', async () => {
    const t = await terminal();
    const c = await authorizedSession(t);
    await c.request('SETTLE', { op: 'settle' });
    const once = (await c.request('STORES')).stores;
    await c.request('SETTLE', { op: 'settle' });
    expect(await c.request('SETTLE', { op: 'settle-again' })).toMatchObject({ count: 0, totals: [] });
    expect((await c.request('STORES')).stores).toEqual(once);
  });

  it('settles into the same bytes on two terminals of one seed, and keeps them across a restart', async () => {
    const statePath = join(mkdtempSync(join(tmpdir(), 'posdecom-sim-settle-')), 'state.json');
    const a = await terminal({ statePath });
    const b = await terminal();
    for (const t of [a, b]) await (await authorizedSession(t)).request('SETTLE', { op: 'settle' });
    for (const name of a.storeNames) expect(a.storeDigest(name), name).toBe(b.storeDigest(name));
    const digest = a.storeDigest('settlements');
    const size = a.storeSize('settlements');
    await a.close();
    const again = await terminal({ statePath });
    expect(again.storeSize('settlements')).toBe(size);
    expect(again.storeDigest('settlements')).toBe(digest);
  });

  it('erases a store that grew by its whole new size', async () => {
    const t = await terminal({ eraseBytesPerSecond: 64 * 1024 * 1024 });
    const c = await authorizedSession(t);
    for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
      await c.request('CHANNEL', { channel, enabled: false });
    await c.request('SETTLE', { op: 'settle' });
    const size = t.storeSize('settlements');
    await c.request('ERASE', { op: 'erase:settlements', store: 'settlements', method: 'overwrite1' });
    expect(await eraseOutcome(c, 'erase:settlements')).toMatchObject({ state: 'done', total: size });
    expect(t.readStoreBytes('settlements', 0, size).every((x) => x === 0)).toBe(true);
  });

  it('reports the media key destroyed when a crypto erase is done, and says nothing of keys for an overwrite', async () => {
    const t = await terminal({ eraseBytesPerSecond: 64 * 1024 * 1024 });
    const c = await authorizedSession(t);
    for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
      await c.request('CHANNEL', { channel, enabled: false });
    await c.request('ERASE', { op: 'erase:config', store: 'config', method: 'crypto' });
    expect(await eraseOutcome(c, 'erase:config')).toMatchObject({ state: 'done', keyDestroyed: true });
    expect(await c.request('ERASE', { op: 'erase:config', store: 'config', method: 'crypto' })).toMatchObject(
      {
        state: 'done',
        keyDestroyed: true,
      },
    );
    await c.request('ERASE', { op: 'erase:logs', store: 'logs', method: 'overwrite1' });
    expect(await eraseOutcome(c, 'erase:logs')).not.toHaveProperty('keyDestroyed');
  });
});

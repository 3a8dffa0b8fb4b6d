import { afterEach, describe, expect, it } from 'vitest';
import { createLinkPair, SimulatedTerminal, type SimOptions } from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';

const open: SimulatedTerminal[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

/** A terminal and an authorized session on it. */
async function rig(options: Partial<SimOptions> = {}): Promise<{ t: SimulatedTerminal; c: RawClient }> {
  const t = await SimulatedTerminal.create({ model: 'countertop', seed: 31, ...options });
  open.push(t);
  const [ours, theirs] = createLinkPair();
  t.attach(theirs);
  const c = new RawClient(ours);
  const { session } = await c.hello();
  expect(await c.authenticate(t.authorityCode, t.identity.serial, String(session))).toMatchObject({
    ok: true,
  });
  return { t, c };
}

async function allOff(c: RawClient, channels: string[], links: string[]): Promise<void> {
  for (const channel of channels)
    expect(await c.request('CHANNEL', { channel, enabled: false })).toMatchObject({ ok: true });
  for (const link of links)
    expect(await c.request('NETWORK', { link, up: false })).toMatchObject({ ok: true });
}

async function eraseAndWait(
  c: RawClient,
  op: string,
  store: string,
  method: string,
): Promise<Record<string, unknown>> {
  expect(await c.request('ERASE', { op, store, method })).toMatchObject({ ok: true, state: 'running' });
  for (;;) {
    const status = await c.request('ERASE_STATUS', { op });
    if (status.state !== 'running') return status;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('simulated terminal: the terminal-side order of a decommission', () => {
  it('refuses ERASE while any acceptance channel is on', async () => {
    const { c } = await rig();
    expect(await c.request('CHANNEL', { channel: 'nfc', enabled: false })).toMatchObject({ ok: true });
    const refused = await c.request('ERASE', { op: 'e1', store: 'journal', method: 'crypto' });
    expect(refused).toMatchObject({
      ok: false,
      code: 'ORDER',
      reasons: ['channel-on:contact', 'channel-on:magstripe', 'channel-on:qr'],
    });
  });

  it('refuses ERASE of the batch store and UNBIND while a batch is open; SETTLE closes it', async () => {
    const { c } = await rig();
    await allOff(c, ['contact', 'magstripe', 'nfc', 'qr'], []);
    expect(await c.request('ERASE', { op: 'e1', store: 'batch', method: 'crypto' })).toMatchObject({
      code: 'ORDER',
      reasons: ['batch-open'],
    });
    expect(await c.request('UNBIND', { op: 'u1' })).toMatchObject({
      code: 'ORDER',
      reasons: ['batch-open', 'saf-pending'],
    });
    expect(await c.request('FORWARD', { op: 'f1' })).toMatchObject({ ok: true });
    const before = await c.request('STATUS');
    const settled = await c.request('SETTLE', { op: 's1' });
    expect(settled).toMatchObject({ ok: true, batchId: expect.stringMatching(/^\d{6}$/) });
    expect(settled.count).toBe((before.batch as { count: number }).count);
    expect(settled.totals).toEqual((before.batch as { totals: unknown }).totals);
    expect(await c.request('STATUS')).toMatchObject({ batch: { open: false, count: 0, totals: [] } });
    // s.6.7 (1.1): with no open batch nothing is closed, and no batch is named.
    expect(await c.request('SETTLE', { op: 's2' })).toEqual({ ok: true, batchId: '', count: 0, totals: [] });
    expect(await c.request('UNBIND', { op: 'u1' })).toEqual({
      ok: true,
      tid: null,
      mid: null,
      hostConfig: 'cleared',
    });
    expect(await c.request('IDENTIFY')).toMatchObject({ tid: null, mid: null, acquirer: null });
  });

  it('answers HOST_UNREACHABLE when the settlement host cannot be reached or no link is up', async () => {
    const { c } = await rig({ unsettledHost: true });
    expect(await c.request('SETTLE', { op: 's1' })).toMatchObject({ ok: false, code: 'HOST_UNREACHABLE' });
    const { c: c2 } = await rig();
    await allOff(c2, [], ['ethernet']);
    expect(await c2.request('SETTLE', { op: 's1' })).toMatchObject({ ok: false, code: 'HOST_UNREACHABLE' });
    // Refused means nothing was done: the same op succeeds once a link is back.
    expect(await c2.request('NETWORK', { link: 'ethernet', up: true })).toMatchObject({ ok: true });
    expect(await c2.request('SETTLE', { op: 's1' })).toMatchObject({ ok: true });
  });

  it('names unknown channels, links, stores and unsupported methods', async () => {
    const { c } = await rig({ model: 'unattended' });
    expect(await c.request('CHANNEL', { channel: 'magstripe', enabled: false })).toMatchObject({
      code: 'UNKNOWN_CHANNEL',
    });
    expect(await c.request('NETWORK', { link: 'wifi', up: false })).toMatchObject({ code: 'UNKNOWN_LINK' });
    expect(await c.request('CHANNEL', { channel: 'nfc', enabled: 'no' })).toMatchObject({
      code: 'BAD_REQUEST',
    });
    await allOff(c, ['nfc'], []);
    expect(await c.request('ERASE', { op: 'x', store: 'batch', method: 'overwrite1' })).toMatchObject({
      code: 'UNKNOWN_STORE',
    });
    expect(await c.request('ERASE', { op: 'x', store: 'journal', method: 'crypto' })).toMatchObject({
      code: 'UNSUPPORTED',
    });
    expect(await c.request('ERASE', { op: 'bad op!', store: 'journal', method: 'overwrite1' })).toMatchObject(
      {
        code: 'BAD_REQUEST',
      },
    );
  });

  it('refuses FINALIZE with every reason until the terminal is clean, then decommissions it', async () => {
    const { t, c } = await rig({ model: 'mobile' });
    const first = await c.request('FINALIZE', { op: 'f1' });
    expect(first).toMatchObject({ ok: false, code: 'ORDER' });
    expect(first.reasons).toEqual([
      'channel-on:contact',
      'channel-on:nfc',
      'channel-on:qr',
      'link-up:wifi',
      'link-up:cellular',
      'batch-open',
      'saf-pending',
      'bound',
      'key-loaded:1',
      'key-loaded:2',
      'key-loaded:3',
      'key-loaded:4',
      'store-not-erased:journal',
      'store-not-erased:batch',
      'store-not-erased:saf',
      'store-not-erased:logs',
      'store-not-erased:config',
    ]);
    await allOff(c, ['contact', 'nfc', 'qr'], []);
    expect(await c.request('FORWARD', { op: 'forward' })).toMatchObject({ ok: true });
    expect(await c.request('SETTLE', { op: 'settle' })).toMatchObject({ ok: true });
    for (const store of t.storeNames) {
      expect(await eraseAndWait(c, `erase:${store}`, store, 'crypto')).toMatchObject({ state: 'done' });
    }
    expect(await c.request('ZEROIZE', { op: 'zeroize' })).toEqual({ ok: true, zeroized: [1, 2, 3, 4] });
    expect((await c.request('KEYS')).slots).toEqual([
      { slot: 1, type: 'TMK', kcv: null },
      { slot: 2, type: 'TPK', kcv: null },
      { slot: 3, type: 'TAK', kcv: null },
      { slot: 4, type: 'IPEK', kcv: null },
    ]);
    expect(await c.request('UNBIND', { op: 'unbind' })).toMatchObject({ ok: true });
    expect(await c.request('FINALIZE', { op: 'f2' })).toMatchObject({
      code: 'ORDER',
      reasons: ['link-up:wifi', 'link-up:cellular'],
    });
    await allOff(c, [], ['wifi', 'cellular']);
    expect(await c.request('FINALIZE', { op: 'f3' })).toEqual({
      ok: true,
      state: 'decommissioned',
      safeToPowerOff: true,
    });
    expect(t.identity.state).toBe('decommissioned');
    expect(await c.request('CHANNEL', { channel: 'nfc', enabled: true })).toMatchObject({
      code: 'ORDER',
      reasons: ['decommissioned'],
    });
  });
});

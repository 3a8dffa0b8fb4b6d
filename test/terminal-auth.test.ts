import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { authMessage } from '../protocol/line/messages.js';
import { connect, simulatedTerminals } from './helpers/sim-terminals.js';

const terminal = simulatedTerminals(11);

function mac(code: string, serial: string, nonce: string, session: string): string {
  return createHmac('sha256', code)
    .update(authMessage(serial, nonce, session))
    .digest('hex');
}

describe('simulated terminal: authorization', () => {
  it('requires AUTH for state-changing and destructive requests, not for reads', async () => {
    const c = connect(await terminal());
    await c.hello();
    for (const [type, header] of [
      ['CHANNEL', { channel: 'nfc', enabled: false }],
      ['NETWORK', { link: 'ethernet', up: false }],
      ['SETTLE', { op: 'a' }],
      ['ERASE', { op: 'b', store: 'journal', method: 'crypto' }],
      ['ZEROIZE', { op: 'c' }],
      ['UNBIND', { op: 'd' }],
      ['FINALIZE', { op: 'e' }],
    ] as const) {
      expect(await c.request(type, header), type).toMatchObject({ ok: false, code: 'AUTH_REQUIRED' });
    }
    expect(await c.request('KEYS')).toMatchObject({ ok: true });
    expect(await c.request('STATUS')).toMatchObject({ ok: true, authorized: false });
  });

  it('authorizes a session that proves the authority code', async () => {
    const t = await terminal();
    const c = connect(t);
    const { session } = await c.hello();
    expect(await c.authenticate(t.authorityCode, t.identity.serial, String(session))).toMatchObject({
      ok: true,
    });
    expect(await c.request('STATUS')).toMatchObject({ authorized: true });
    expect(await c.request('CHANNEL', { channel: 'nfc', enabled: false })).toEqual({
      ok: true,
      channel: 'nfc',
      enabled: false,
    });
    // A new HELLO is a new session: authorization does not carry over.
    await c.hello();
    expect(await c.request('CHANNEL', { channel: 'qr', enabled: false })).toMatchObject({
      code: 'AUTH_REQUIRED',
    });
  });

  it('consumes a nonce with its first AUTH, so a recorded exchange cannot be replayed', async () => {
    const t = await terminal();
    const c = connect(t);
    const { session } = await c.hello();
    const { nonce } = await c.request('AUTH_BEGIN');
    const good = mac(t.authorityCode, t.identity.serial, String(nonce), String(session));
    expect(await c.request('AUTH', { nonce, mac: good })).toMatchObject({ ok: true });
    expect(await c.request('AUTH', { nonce, mac: good })).toMatchObject({
      ok: false,
      code: 'AUTH_FAILED',
      attemptsLeft: 2,
    });
  });

  it('refuses a nonce older than 60 s', async () => {
    const t = await terminal();
    const c = connect(t);
    const { session } = await c.hello();
    const { nonce } = await c.request('AUTH_BEGIN');
    const now = performance.now.bind(performance);
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now() + 61_000);
    try {
      const good = mac(t.authorityCode, t.identity.serial, String(nonce), String(session));
      expect(await c.request('AUTH', { nonce, mac: good })).toMatchObject({
        code: 'AUTH_FAILED',
        message: 'expired nonce',
      });
    } finally {
      clock.mockRestore();
    }
  });

  it('binds the MAC to the session: one computed for another session fails', async () => {
    const t = await terminal();
    const c = connect(t);
    await c.hello();
    const { nonce } = await c.request('AUTH_BEGIN');
    const forOther = mac(t.authorityCode, t.identity.serial, String(nonce), '0123456789abcdef');
    expect(await c.request('AUTH', { nonce, mac: forOther })).toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('locks after three failures, across reconnects and restarts, until the lockout ends', async () => {
    const statePath = join(mkdtempSync(join(tmpdir(), 'posdecom-sim-')), 'state.json');
    const t = await terminal({ statePath, authLockoutMs: 400 });
    const c = connect(t);
    const { session } = await c.hello();
    expect(await c.authenticate('WRONG-CODE', t.identity.serial, String(session))).toMatchObject({
      attemptsLeft: 2,
    });
    expect(await c.authenticate('WRONG-CODE', t.identity.serial, String(session))).toMatchObject({
      attemptsLeft: 1,
    });
    expect(await c.authenticate('WRONG-CODE', t.identity.serial, String(session))).toMatchObject({
      code: 'AUTH_FAILED',
      attemptsLeft: 0,
    });
    expect(await c.request('AUTH_BEGIN')).toMatchObject({ ok: false, code: 'AUTH_LOCKED' });

    const again = connect(t);
    const second = await again.hello();
    expect(
      await again.authenticate(t.authorityCode, t.identity.serial, String(second.session)),
    ).toMatchObject({
      code: 'AUTH_LOCKED',
    });
    await t.close();

    const restarted = await terminal({ statePath, authLockoutMs: 400 });
    const third = connect(restarted);
    const { session: s3 } = await third.hello();
    const locked = await third.request('AUTH_BEGIN');
    expect(locked).toMatchObject({ code: 'AUTH_LOCKED' });
    expect(Number(locked.retryAfterMs)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Number(locked.retryAfterMs) + 20));
    expect(
      await third.authenticate(restarted.authorityCode, restarted.identity.serial, String(s3)),
    ).toMatchObject({ ok: true });
  });
});

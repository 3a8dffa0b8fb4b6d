import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../protocol/line/frame.js';
import { connect, simulatedTerminals } from './helpers/sim-terminals.js';

const terminal = simulatedTerminals(11);

describe('simulated terminal: HELLO and session rules', () => {
  it('answers NO_SESSION to anything before HELLO', async () => {
    const c = connect(await terminal());
    expect(await c.request('IDENTIFY')).toMatchObject({ ok: false, code: 'NO_SESSION' });
    expect(await c.request('ERASE', { op: 'x', store: 'journal', method: 'crypto' })).toMatchObject({
      code: 'NO_SESSION',
    });
  });

  it('negotiates the smaller line and window and the first encoding and compression it supports', async () => {
    const c = connect(await terminal());
    const reply = await c.hello({
      maxLine: 200_000,
      window: 64,
      enc: ['7bit', 'b64', '8bit'],
      z: ['zstd', 'none', 'deflate'],
    });
    expect(reply).toMatchObject({
      ok: true,
      proto: '1.1',
      maxLine: 65536,
      window: 16,
      enc: 'b64',
      z: 'none',
    });
    expect(reply.session).toMatch(/^[0-9a-f]{16}$/);
    expect(reply.caps).toEqual({
      channels: ['contact', 'magstripe', 'nfc', 'qr'],
      links: ['ethernet'],
      stores: ['journal', 'batch', 'saf', 'settlements', 'logs', 'config'],
      erase: ['crypto', 'overwrite3', 'overwrite1'],
      keySlots: 5,
      battery: false,
    });
    const small = await c.hello({ maxLine: 100, window: 2 });
    expect(small).toMatchObject({ maxLine: 4096, window: 2, enc: '8bit', z: 'deflate' });
  });

  it('reports the capabilities of each model', async () => {
    const mobile = await connect(await terminal({ model: 'mobile' })).hello();
    expect(mobile.caps).toMatchObject({
      channels: ['contact', 'nfc', 'qr'],
      links: ['wifi', 'cellular'],
      battery: true,
    });
    const reader = await connect(await terminal({ model: 'unattended' })).hello();
    expect(reader.caps).toMatchObject({
      channels: ['nfc'],
      links: ['ethernet'],
      erase: ['overwrite3', 'overwrite1'],
    });
  });

  it('refuses another major version and lists what it speaks; within 1.x speaks the older of the two', async () => {
    const c = connect(await terminal());
    expect(await c.hello({ proto: '2.0' })).toMatchObject({
      ok: false,
      code: 'PROTO_VERSION',
      supported: ['1.0', '1.1'],
    });
    expect(await c.hello({ proto: '1.7' })).toMatchObject({ ok: true, proto: '1.1' });
    expect(await c.hello({ proto: '1.0' })).toMatchObject({ ok: true, proto: '1.0' });
    const old = connect(await terminal({ protocol: '1.0' }));
    expect(await old.hello({ proto: '1.1' })).toMatchObject({ ok: true, proto: '1.0' });
    expect(await old.hello({ proto: '2.0' })).toMatchObject({ code: 'PROTO_VERSION', supported: ['1.0'] });
  });

  it('refuses wrong field types with BAD_REQUEST and unknown types with UNKNOWN_TYPE', async () => {
    const c = connect(await terminal());
    expect(await c.hello({ maxLine: '65536' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await c.hello({ enc: ['base85'] })).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
    await c.hello();
    expect(await c.request('REBOOT')).toMatchObject({ ok: false, code: 'UNKNOWN_TYPE' });
    expect(await c.request('READ', { store: 'journal', offset: '0', length: 10 })).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('reports a corrupt frame with X BADFRAME naming its seq, and keeps going', async () => {
    const c = connect(await terminal());
    await c.hello();
    const bytes = c.encode('PING', {}, 0x0042);
    bytes[8]! ^= 0x01;
    c.send(bytes);
    const report = await c.waitFor((f) => f.kind === 'X');
    expect(report).toMatchObject({ seq: 0x42, type: 'BADFRAME', header: { reason: 'crc' } });
    expect(await c.request('PING')).toEqual({ ok: true });
  });

  it('holds lines to 1024 bytes before HELLO and to maxLine after', async () => {
    const t = await terminal();
    const c = connect(t);
    const big = c.encode('PING', { pad: 'x'.repeat(1500) });
    c.send(big);
    expect(await c.waitFor((f) => f.kind === 'X')).toMatchObject({ seq: 0, header: { reason: 'overlong' } });
    await c.hello({ maxLine: 4096 });
    expect(await c.request('PING', { pad: 'x'.repeat(1500) })).toEqual({ ok: true });
    c.send(c.encode('PING', { pad: 'x'.repeat(5000) }));
    expect(await c.waitFor((f) => f.kind === 'X')).toMatchObject({ header: { reason: 'overlong' } });
    expect(t.stats().badFrames).toBe(2);
  });

  it('survives a flood of garbage, reporting a bounded number of bad frames', async () => {
    const t = await terminal();
    const c = connect(t);
    for (let i = 0; i < 50; i++) {
      const junk = randomBytes(4096);
      junk[100] = 0x0a;
      c.send(junk);
    }
    c.send(Buffer.from('\n'));
    expect(await c.hello()).toMatchObject({ ok: true });
    expect(t.stats().badFrames).toBeGreaterThan(50);
    expect(c.inbox.filter((f) => f.kind === 'X').length).toBeLessThanOrEqual(t.stats().badFrames);
  });

  it('drops a frame that is not a request without answering it', async () => {
    const t = await terminal();
    const c = connect(t);
    await c.hello();
    c.send(encodeFrame({ seq: 5, kind: 'R', type: 'PING', header: { ok: true } }));
    expect(await c.request('PING')).toEqual({ ok: true });
    expect(c.inbox).toEqual([]);
    expect(t.stats()).toMatchObject({ badFrames: 1, executed: { HELLO: 1, PING: 1 } });
  });
});

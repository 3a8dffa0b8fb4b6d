import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type Frame } from '../protocol/line/frame.js';
import { Framer } from '../protocol/line/framer.js';
import { authMessage } from '../protocol/line/messages.js';
import { Session } from '../protocol/line/session/session.js';
import type { Link } from '../protocol/transport/link.js';
import {
  createLinkPair,
  parseFaults,
  SimulatedTerminal,
  type SimOptions,
} from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { HostileProxy, patched } from './helpers/hostile-proxy.js';
import { runJob } from './helpers/job-harness.js';
import { authorizedSession, connect, eraseOutcome } from './helpers/sim-terminals.js';

/**
 * SPEC.md 1.1 settles what 1.0 left silent or contradictory ("Changes in 1.1"). The simulated
 * terminal is the reference peer: driven here frame by frame with the raw client, it does each
 * settled point exactly as the text says; and the agent is as liberal as the text allows.
 */
const open: SimulatedTerminal[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function terminal(options: Partial<SimOptions> = {}): Promise<SimulatedTerminal> {
  const t = await SimulatedTerminal.create({ model: 'countertop', seed: 97, ...options });
  open.push(t);
  return t;
}

async function allOff(c: RawClient): Promise<void> {
  for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
    await c.request('CHANNEL', { channel, enabled: false });
}

describe('the terminal, as SPEC.md 1.1 says', () => {
  it('s.5.1: speaks the older of the two versions, lists every version it speaks, and keeps HELLO within 1024 bytes', async () => {
    const c = connect(await terminal());
    const seq = c.nextSeq();
    const pending = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
    c.send(
      c.encode(
        'HELLO',
        { proto: '1.1', agent: 'x', maxLine: 65536, window: 8, enc: ['8bit'], z: ['deflate'] },
        seq,
      ),
    );
    const hello = await pending;
    expect(encodeFrame(hello).length).toBeLessThanOrEqual(1024);
    expect(hello.header).toMatchObject({ ok: true, proto: '1.1' });
    expect(await c.hello({ proto: '1.9' })).toMatchObject({ proto: '1.1' });
    expect(await c.hello({ proto: '1.0' })).toMatchObject({ proto: '1.0' });
    expect(await c.hello({ proto: '2.0' })).toMatchObject({
      code: 'PROTO_VERSION',
      supported: ['1.0', '1.1'],
    });
  });

  it('s.5.1: lists store names in caps.stores, as STORES names them', async () => {
    const c = connect(await terminal({ model: 'mobile' }));
    const { caps } = (await c.hello()) as { caps: { stores: string[] } };
    const stores = (await c.request('STORES')).stores as { name: string }[];
    expect(caps.stores).toEqual(stores.map((s) => s.name));
  });

  it('s.2.1: sends seq and crc in upper case, other hex in lower case, and accepts either case from the agent', async () => {
    const t = await terminal();
    const c = connect(t);
    const { session } = await c.hello();
    expect(session).toMatch(/^[0-9a-f]{16}$/);
    const { nonce } = await c.request('AUTH_BEGIN');
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    const stores = (await c.request('STORES')).stores as { sha256: string }[];
    for (const s of stores) expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    // A MAC in upper case authorizes; the AUTH message uses nonce and session as sent.
    const mac = createHmac('sha256', t.authorityCode)
      .update(authMessage(t.identity.serial, String(nonce), String(session)))
      .digest('hex')
      .toUpperCase();
    expect(await c.request('AUTH', { nonce, mac })).toMatchObject({ ok: true });
    // A request whose crc is in lower case is read.
    const seq = c.nextSeq();
    const line = c.encode('PING', {}, seq);
    const lower = Buffer.from(
      line.toString('latin1').replace(/\*([0-9A-F]{8})\n$/, (_m, crc: string) => `*${crc.toLowerCase()}\n`),
      'latin1',
    );
    const reply = c.waitFor((f) => f.seq === seq && f.kind === 'R');
    c.send(lower);
    expect((await reply).header).toEqual({ ok: true });
  });

  it('s.6.10: reads a range past the end up to the end, length 0 at the end, RANGE only beyond it', async () => {
    const c = connect(await terminal({ storeSizes: { config: 1000 } }));
    await c.hello();
    const read = (offset: number, length: number) => c.request('READ', { store: 'config', offset, length });
    expect(await read(990, 100)).toMatchObject({ ok: true, offset: 990, length: 10 });
    expect(await read(1000, 1)).toMatchObject({ ok: true, offset: 1000, length: 0 });
    expect(await read(1001, 1)).toMatchObject({ ok: false, code: 'RANGE' });
    expect(await read(0, 0)).toMatchObject({ ok: false, code: 'RANGE' });
  });

  it('s.5.2: authorizes until the session ends (expiresInMs given); the third failure is AUTH_FAILED with 0 left, then AUTH_LOCKED', async () => {
    const t = await terminal();
    const c = connect(t);
    const { session } = await c.hello();
    const ok = await c.authenticate(t.authorityCode, t.identity.serial, String(session));
    expect(ok.expiresInMs).toBeGreaterThan(60_000);
    expect(await c.request('CHANNEL', { channel: 'nfc', enabled: false })).toMatchObject({ ok: true });
    await c.hello();
    expect(await c.request('CHANNEL', { channel: 'nfc', enabled: false })).toMatchObject({
      code: 'AUTH_REQUIRED',
    });
    const wrong = async () => c.authenticate('not the code', t.identity.serial, 'wrong');
    expect(await wrong()).toMatchObject({ code: 'AUTH_FAILED', attemptsLeft: 2 });
    expect(await wrong()).toMatchObject({ code: 'AUTH_FAILED', attemptsLeft: 1 });
    const third = await wrong();
    expect(third).toMatchObject({ code: 'AUTH_FAILED', attemptsLeft: 0 });
    expect(third.retryAfterMs).toBeGreaterThan(0);
    expect(await c.request('AUTH_BEGIN')).toMatchObject({ code: 'AUTH_LOCKED' });
  });

  it('s.7.5: records no refusal, binds an op to its request type, and answers BAD_REQUEST for an unknown erase op', async () => {
    const t = await terminal({ faults: parseFaults('host-unreachable=FORWARD') });
    const c = await authorizedSession(t);
    expect(await c.request('FORWARD', { op: 'f1' })).toMatchObject({ ok: false, code: 'HOST_UNREACHABLE' });
    expect(await c.request('SETTLE', { op: 'f1' })).toMatchObject({ ok: true });
    expect(await c.request('UNBIND', { op: 'f1' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await c.request('ERASE_STATUS', { op: 'f1' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await c.request('ERASE_STATUS', { op: 'never-used' })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
    const fresh = await authorizedSession(await terminal());
    expect(await fresh.request('FORWARD', { op: 'x' })).toMatchObject({ ok: true });
  });

  it('s.6.14, s.6.3: numbers key slots from 1 to caps.keySlots, and STATUS tamper is a boolean', async () => {
    const c = connect(await terminal({ model: 'unattended' }));
    const { caps } = (await c.hello()) as { caps: { keySlots: number } };
    const slots = (await c.request('KEYS')).slots as { slot: number }[];
    expect(slots.map((s) => s.slot)).toEqual(Array.from({ length: caps.keySlots }, (_, i) => i + 1));
    expect(typeof (await c.request('STATUS')).tamper).toBe('boolean');
  });

  it('s.6.11: VERIFY_ERASE pattern is none, zeros or random; PROGRESS and ERASE_STATUS count bytes over all passes', async () => {
    const t = await terminal({ storeSizes: { logs: 40_000, config: 5000 } });
    const c = await authorizedSession(t);
    await allOff(c);
    expect(await c.request('VERIFY_ERASE', { store: 'logs' })).toMatchObject({
      verified: false,
      method: 'none',
      pattern: 'none',
    });
    const progress: Frame[] = [];
    const watch = (async () => {
      for (;;) progress.push(await c.waitFor((f) => f.kind === 'E' && f.type === 'PROGRESS', 30_000));
    })().catch(() => undefined);
    await c.request('ERASE', { op: 'e1', store: 'logs', method: 'overwrite3' });
    const done = await eraseOutcome(c, 'e1');
    expect(done).toMatchObject({ state: 'done', total: 3 * 40_000, done: 3 * 40_000 });
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.header.total).toBe(3 * 40_000);
      expect(Number(p.header.done)).toBeLessThanOrEqual(3 * 40_000);
    }
    expect(await c.request('VERIFY_ERASE', { store: 'logs' })).toMatchObject({
      pattern: 'zeros',
      verified: true,
    });
    await c.request('ERASE', { op: 'e2', store: 'config', method: 'crypto' });
    await eraseOutcome(c, 'e2');
    expect(await c.request('VERIFY_ERASE', { store: 'config' })).toMatchObject({
      pattern: 'random',
      verified: true,
    });
    c.close();
    await watch;
  });

  it('s.6.7: SETTLE with no open batch names no batch', async () => {
    const c = await authorizedSession(await terminal());
    await c.request('SETTLE', { op: 's1' });
    expect(await c.request('SETTLE', { op: 's2' })).toEqual({ ok: true, batchId: '', count: 0, totals: [] });
  });

  it('s.6.20: reports the SAF queue in STATUS and forwards it, idempotent by op; a 1.0 session has neither', async () => {
    const t = await terminal();
    const c = await authorizedSession(t);
    const before = (await c.request('STATUS')).saf as { count: number; totals: { minor: number }[] };
    expect(before.count).toBeGreaterThan(0);
    const sent = await c.request('FORWARD', { op: 'fw' });
    expect(sent).toEqual({ ok: true, ...before });
    expect((await c.request('STATUS')).saf).toEqual({ count: 0, totals: [] });
    expect(await c.request('FORWARD', { op: 'fw' })).toEqual(sent);
    expect(await c.request('FORWARD', { op: 'fw2' })).toEqual({ ok: true, count: 0, totals: [] });
    await c.hello({ proto: '1.0' });
    expect(await c.request('STATUS')).not.toHaveProperty('saf');
    expect(await c.request('FORWARD', { op: 'fw3' })).toMatchObject({ code: 'UNKNOWN_TYPE' });
  });
});

/** A terminal played by the test, line by line, for what only the agent's session decides. */
function scriptedPeer(): { session: Session; send: (lines: Buffer[]) => void; requests: Frame[] } {
  const [agentEnd, peerEnd] = createLinkPair();
  const requests: Frame[] = [];
  const framer = new Framer((e) => {
    if (e.type !== 'line') return;
    const d = decodeFrame(e.line);
    if (!d.ok) return;
    requests.push(d.frame);
    if (d.frame.type === 'HELLO') {
      const caps = { channels: [], links: [], stores: [], erase: [], keySlots: 0, battery: false };
      const header = {
        ok: true,
        proto: '1.1',
        session: 'ABCDEF0123456789',
        maxLine: 4096,
        window: 1,
        enc: 'b64',
        z: 'none',
        caps,
      };
      peerEnd.write(encodeFrame({ seq: d.frame.seq, kind: 'R', type: 'HELLO', header }));
    }
  }, 1 << 16);
  peerEnd.onData((b) => framer.push(b));
  let closed = false;
  const link: Link = {
    description: 'scripted',
    byteRate: 1_000_000,
    eightBitClean: false,
    get closed() {
      return closed;
    },
    write: async (b) => agentEnd.write(b),
    onData: (cb) => agentEnd.onData(cb),
    onClose: (cb) => agentEnd.onClose(() => cb(undefined)),
    close: async () => {
      closed = true;
      agentEnd.close();
    },
  };
  const session = new Session(link, { requestTimeoutMs: 2000 });
  return { session, send: (lines) => peerEnd.write(Buffer.concat(lines)), requests };
}

/** The n-th PING the agent sent, once it is on the wire. */
async function asked(requests: Frame[], n: number): Promise<Frame> {
  for (;;) {
    const pings = requests.filter((f) => f.type === 'PING');
    if (pings.length >= n) return pings[n - 1]!;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the agent, as liberal as SPEC.md 1.1 allows', () => {
  it('s.2.3: takes 64 dropped frames in a row and the answer after them, and stops at the 65th', async () => {
    const { session, send, requests } = scriptedPeer();
    const negotiated = await session.hello();
    // Hex in either case (s.2.1): an upper-case session id is taken as it is.
    expect(negotiated.session).toBe('ABCDEF0123456789');
    const bad = (n: number) =>
      Array.from({ length: n }, () => Buffer.from('0000 R PING {"ok":true}*00000000\n'));
    const first = session.request('PING', {});
    const ping = await asked(requests, 1);
    send([...bad(64), encodeFrame({ seq: ping.seq, kind: 'R', type: 'PING', header: { ok: true } })]);
    await expect(first).resolves.toMatchObject({ ok: true });
    const second = session.request('PING', {});
    await asked(requests, 2);
    send(bad(65));
    const err = await second.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PosdecomError);
    expect((err as PosdecomError).code).toBe(ErrorCode.SessionHostile);
    expect((err as PosdecomError).message).toMatch(/65 invalid frames in a row/);
    await session.close();
  });

  it('s.2.1: runs a whole job against a terminal that sends its session, nonces and digests in upper case', async () => {
    const t = await terminal({ upperCaseHex: true, seed: 98 });
    const dir = mkdtempSync(join(tmpdir(), 'posdecom-hex-'));
    dirs.push(dir);
    const run = await runJob({ peer: t, dir });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.summary.overall).toBe('PASS');
  });

  it('s.5.2: authorizes again, once, when the terminal asks for it mid-session, and goes on', async () => {
    const t = await terminal({ seed: 99 });
    const proxy = new HostileProxy(t, [
      {
        toAgent: (p) =>
          p.frame.type === 'CHANNEL' && p.nth === 1
            ? patched(p.frame, {
                ok: false,
                code: 'AUTH_REQUIRED',
                message: 'authorization expired',
                channel: undefined,
                enabled: undefined,
              })
            : undefined,
      },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'posdecom-reauth-'));
    dirs.push(dir);
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.output).toMatch(/asks for authorization again; re-authorizing/);
  });
});

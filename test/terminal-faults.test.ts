import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import {
  createLinkPair,
  parseFaults,
  SimulatedTerminal,
  type SimOptions,
} from '../protocol/line/terminal/index.js';
import { RawClient, readPayload } from '../protocol/line/terminal/raw-client.js';
import { ManualClock } from './helpers/manual-clock.js';

const open: SimulatedTerminal[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function terminal(faults: string, options: Partial<SimOptions> = {}): Promise<SimulatedTerminal> {
  const t = await SimulatedTerminal.create({
    model: 'countertop',
    seed: 77,
    faults: parseFaults(faults),
    ...options,
  });
  open.push(t);
  return t;
}

function connect(t: SimulatedTerminal): RawClient {
  const [ours, theirs] = createLinkPair();
  t.attach(theirs);
  return new RawClient(ours);
}

async function authorized(t: SimulatedTerminal): Promise<RawClient> {
  const c = connect(t);
  const { session } = await c.hello();
  expect(await c.authenticate(t.authorityCode, t.identity.serial, String(session))).toMatchObject({
    ok: true,
  });
  return c;
}

async function closed(c: RawClient): Promise<void> {
  for (let i = 0; i < 200 && !c.closed; i++) await new Promise((r) => setTimeout(r, 5));
  expect(c.closed).toBe(true);
}

describe('parseFaults', () => {
  it('parses every fault, and repeats of the repeatable ones', () => {
    const spec = parseFaults(
      'disconnect-after=120,disconnect-at=ERASE,bit-error=1e-4,drop=1e-5,busy=0.05,slow=200,erase-fail=journal,erase-lie=saf,' +
        'disconnect-at=READ:journal:50%, disconnect-at=ERASE:logs:65536,disconnect-after=300',
    );
    expect(spec).toEqual({
      disconnectAfter: [120, 300],
      disconnectAt: [
        { type: 'ERASE' },
        { type: 'READ', store: 'journal', at: { percent: 50 } },
        { type: 'ERASE', store: 'logs', at: { offset: 65536 } },
      ],
      bitError: 1e-4,
      drop: 1e-5,
      busy: 0.05,
      slowMs: 200,
      eraseFail: ['journal'],
      eraseLie: ['saf'],
    });
    expect(parseFaults('')).toEqual({});
  });

  it.each([
    ['flood=1', /unknown fault 'flood'/],
    ['busy', /not key=value/],
    ['bit-error=2', /probability/],
    ['drop=-0.1', /probability/],
    ['busy=0.99', /probability/],
    ['slow=fast', /milliseconds/],
    ['disconnect-after=0', /frame count/],
    ['disconnect-at=REBOOT', /not a request type/],
    ['disconnect-at=PING:journal', /name a store/],
    ['disconnect-at=VERIFY_ERASE:journal:50%', /READ and ERASE only/],
    ['disconnect-at=READ:journal:100%', /between 0% and 100%/],
    ['disconnect-at=READ:journal:half', /neither a percentage/],
    ['disconnect-at=READ:vault', /no store 'vault'/],
    ['erase-fail=vault', /no store 'vault'/],
    ['slow=1,slow=2', /given twice/],
    ['erase-fail=saf,erase-lie=saf', /both name 'saf'/],
  ])('refuses %s with a one-line usage error', (text, message) => {
    let caught: unknown;
    try {
      parseFaults(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: ErrorCode.UsageInvalid, message: expect.stringMatching(message) });
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('simulated terminal: injected faults', () => {
  it('disconnect-after: executes the Nth request, drops the link before answering, and fires once', async () => {
    const t = await terminal('disconnect-after=5');
    const c = await authorized(t); // HELLO, AUTH_BEGIN, AUTH: three frames
    expect(await c.request('PING')).toEqual({ ok: true });
    const lost = c.request('CHANNEL', { channel: 'nfc', enabled: false });
    await expect(lost).rejects.toThrow(/link closed/);
    await closed(c);
    const again = await authorized(t);
    expect(await again.request('STATUS')).toMatchObject({ channels: { nfc: 'off' } });
    for (let i = 0; i < 10; i++) expect(await again.request('PING')).toEqual({ ok: true });
  });

  it('disconnect-at=ERASE: the erase runs, the reply is lost, and the same op after reconnecting says so', async () => {
    const t = await terminal('disconnect-at=ERASE');
    const c = await authorized(t);
    for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
      await c.request('CHANNEL', { channel, enabled: false });
    c.send(c.encode('ERASE', { op: 'e:config', store: 'config', method: 'overwrite1' }));
    await closed(c);
    const again = await authorized(t);
    expect(
      await again.request('ERASE', { op: 'e:config', store: 'config', method: 'overwrite1' }),
    ).toMatchObject({
      ok: true,
      op: 'e:config',
    });
    expect(t.eraseCount('config')).toBe(1);
  });

  it('disconnect-at=READ:STORE:50% cuts the response carrying that point, and a resumed read completes', async () => {
    const t = await terminal('disconnect-at=READ:logs:50%');
    const size = 128 * 1024;
    const c = connect(t);
    await c.hello({ z: ['none'] });
    const parts: Buffer[] = [];
    let offset = 0;
    let client = c;
    while (offset < size) {
      const seq = client.nextSeq();
      const reply = client.waitFor((f) => f.kind === 'R' && f.seq === seq, 1000);
      client.send(
        client.encode('READ', { store: 'logs', offset, length: Math.min(16_384, size - offset) }, seq),
      );
      try {
        const bytes = readPayload(await reply, '8bit');
        parts.push(bytes);
        offset += bytes.length;
      } catch {
        await closed(client);
        expect(client.discarded).toContain('truncated');
        expect(offset).toBeLessThanOrEqual(size / 2);
        client = connect(t);
        await client.hello({ z: ['none'] });
      }
    }
    expect(client).not.toBe(c);
    expect(createHash('sha256').update(Buffer.concat(parts)).digest('hex')).toBe(t.storeDigest('logs'));
  });

  it('disconnect-at=ERASE:STORE:50% drops the link mid-erase; the erase goes on', async () => {
    const t = await terminal('disconnect-at=ERASE:logs:50%', { eraseBytesPerSecond: 1024 * 1024 });
    const c = await authorized(t);
    for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
      await c.request('CHANNEL', { channel, enabled: false });
    expect(await c.request('ERASE', { op: 'e:logs', store: 'logs', method: 'overwrite1' })).toMatchObject({
      state: 'running',
    });
    await closed(c);
    const again = await authorized(t);
    const status = await again.request('ERASE_STATUS', { op: 'e:logs' });
    expect(Number(status.done)).toBeGreaterThanOrEqual(Number(status.total) / 2);
  });

  it('busy: answers BUSY with retryAfterMs, does nothing, and executes the retransmission', async () => {
    const t = await terminal('busy=0.5');
    const c = connect(t);
    await c.hello();
    let busy = 0;
    for (let i = 0; i < 40; i++) {
      const seq = c.nextSeq();
      const bytes = c.encode('KEYS', {}, seq);
      for (;;) {
        const reply = c.waitFor((f) => f.kind === 'R' && f.seq === seq);
        c.send(bytes);
        const { header } = await reply;
        if (header.ok) break;
        expect(header).toMatchObject({ code: 'BUSY', retryAfterMs: expect.any(Number) });
        busy++;
      }
    }
    expect(busy).toBeGreaterThan(10);
    expect(t.stats().executed.KEYS).toBe(40);
  });

  it('bit-error and drop damage output reproducibly for a seed', async () => {
    async function run(): Promise<string[]> {
      const t = await terminal('bit-error=2e-4,drop=1e-4');
      const c = connect(t);
      c.send(c.encode('HELLO', { proto: '1.0', maxLine: 65536, window: 8, enc: ['8bit'], z: ['none'] }));
      for (let i = 0; i < 200; i++) c.send(c.encode('IDENTIFY'));
      await new Promise((r) => setTimeout(r, 300));
      await t.close();
      return [...c.discarded, `ok:${c.inbox.length}`];
    }
    const first = await run();
    expect(first.filter((r) => r === 'crc' || r === 'no-crc' || r === 'layout').length).toBeGreaterThan(3);
    expect(await run()).toEqual(first);
  });

  it('slow: starts every response that much later', async () => {
    // The terminal's line time moves only when the test moves it: the delay is exact, under any load.
    const clock = new ManualClock();
    const t = await terminal('slow=150', { lineClock: clock });
    const c = connect(t);
    await clock.runUntil(c.hello());
    expect(clock.now()).toBe(150);
    const ping = c.request('PING');
    let answered = false;
    void ping.then(() => (answered = true));
    await clock.advance(149);
    expect(answered).toBe(false);
    await clock.runUntil(ping);
    expect(clock.now()).toBe(300);
  });

  it('remembers fired disconnects across a restart', async () => {
    const statePath = join(mkdtempSync(join(tmpdir(), 'posdecom-sim-')), 'state.json');
    const t = await terminal('disconnect-at=PING', { statePath });
    const c = connect(t);
    await c.hello();
    c.send(c.encode('PING'));
    await closed(c);
    await t.close();
    const restarted = await terminal('disconnect-at=PING', { statePath });
    const again = connect(restarted);
    await again.hello();
    expect(await again.request('PING')).toEqual({ ok: true });
  });
});

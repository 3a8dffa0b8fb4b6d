import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { authorizedSession, eraseOutcome, simulatedTerminals } from './helpers/sim-terminals.js';

const terminal = simulatedTerminals(9);

function stateFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'posdecom-sim-')), 'terminal.json');
}

describe('simulated terminal: state across restarts', () => {
  it('is the same terminal in the same state after a restart on the same state file', async () => {
    const statePath = stateFile();
    const first = await terminal({ statePath });
    const c = await authorizedSession(first);
    for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
      await c.request('CHANNEL', { channel, enabled: false });
    const forwarded = await c.request('FORWARD', { op: 'forward' });
    const settled = await c.request('SETTLE', { op: 'settle' });
    await c.request('NETWORK', { link: 'ethernet', up: false });
    await c.request('ZEROIZE', { op: 'zeroize' });
    await c.request('UNBIND', { op: 'unbind' });
    await c.request('ERASE', { op: 'erase:config', store: 'config', method: 'overwrite1' });
    expect(await eraseOutcome(c, 'erase:config')).toMatchObject({ state: 'done' });
    const status = await c.request('STATUS');
    await first.close();

    const second = await terminal({ statePath });
    const c2 = await authorizedSession(second);
    expect(await c2.request('STATUS')).toEqual(status);
    expect(second.identity).toMatchObject({ tid: null, mid: null, serial: first.identity.serial });
    expect(((await c2.request('KEYS')).slots as { kcv: unknown }[]).every((s) => s.kcv === null)).toBe(true);
    expect(second.storeDigest('config')).toBe(first.storeDigest('config'));
    // The forwarded queue stays forwarded: the saf store's content says so, and so does STATUS.
    expect(second.storeDigest('saf')).toBe(first.storeDigest('saf'));
    expect(status.saf).toEqual({ count: 0, totals: [] });
    expect(second.readStoreBytes('config', 0, 6000).equals(Buffer.alloc(6000))).toBe(true);
    // Recorded ops outlive the process (s.7.5).
    expect(await c2.request('SETTLE', { op: 'settle' })).toEqual(settled);
    expect(await c2.request('FORWARD', { op: 'forward' })).toEqual(forwarded);
    expect(
      await c2.request('ERASE', { op: 'erase:config', store: 'config', method: 'overwrite1' }),
    ).toMatchObject({
      state: 'done',
    });
    expect(second.stats().executed).not.toHaveProperty('SETTLE');
    expect(second.stats().executed).not.toHaveProperty('FORWARD');
    expect(second.eraseCount('config')).toBe(1);
  });

  it('resumes an erase that was running when the simulator was killed', async () => {
    const statePath = stateFile();
    const first = await terminal({ statePath, eraseBytesPerSecond: 400 * 1024 });
    const c = await authorizedSession(first);
    for (const channel of ['contact', 'magstripe', 'nfc', 'qr'])
      await c.request('CHANNEL', { channel, enabled: false });
    await c.request('ERASE', { op: 'erase:journal', store: 'journal', method: 'overwrite1' });
    // Wait for a checkpoint part-way, then take the state file as a kill would leave it.
    await c.waitFor((f) => f.kind === 'E' && f.type === 'PROGRESS' && Number(f.header.done) > 0);
    const killed = stateFile();
    copyFileSync(statePath, killed);
    const saved = JSON.parse(readFileSync(killed, 'utf8')) as {
      jobs: { state: string; done: number; total: number }[];
    };
    expect(saved.jobs[0]).toMatchObject({ state: 'running' });
    expect(saved.jobs[0]!.done).toBeGreaterThan(0);
    expect(saved.jobs[0]!.done).toBeLessThan(saved.jobs[0]!.total);
    await first.close();

    const second = await terminal({ statePath: killed, eraseBytesPerSecond: 400 * 1024 });
    const c2 = await authorizedSession(second);
    const resumed = await c2.request('ERASE_STATUS', { op: 'erase:journal' });
    expect(resumed).toMatchObject({ state: 'running' });
    expect(Number(resumed.done)).toBeGreaterThanOrEqual(saved.jobs[0]!.done);
    expect(await eraseOutcome(c2, 'erase:journal')).toMatchObject({ state: 'done' });
    expect(second.readStoreBytes('journal', 0, 256 * 1024).equals(Buffer.alloc(256 * 1024))).toBe(true);
    expect(second.eraseCount('journal')).toBe(1);
  });

  it('writes the state atomically, private to its owner, with no key material', async () => {
    const statePath = stateFile();
    const t = await terminal({ statePath });
    const c = await authorizedSession(t);
    await c.request('CHANNEL', { channel: 'nfc', enabled: false });
    const text = readFileSync(statePath, 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      format: 'posdecom-sim-state/1',
      seed: 9,
      channels: { nfc: false },
    });
    expect(readdirSync(join(statePath, '..'))).toEqual(['terminal.json']);
    expect(statSync(statePath).mode & 0o077).toBe(0);
    expect(text).not.toMatch(/"kcv"|[0-9a-f]{32}/i);
  });

  it('refuses a state file of another terminal or a damaged one', async () => {
    const statePath = stateFile();
    await (await terminal({ statePath })).close();
    await expect(
      SimulatedTerminal.create({ model: 'countertop', seed: 10, statePath }),
    ).rejects.toMatchObject({
      code: ErrorCode.UsageBadFile,
    });
    writeFileSync(statePath, '{"format":"posdecom-sim-state/1","seed":9');
    const err = await SimulatedTerminal.create({ model: 'countertop', seed: 9, statePath }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PosdecomError);
    expect((err as PosdecomError).code).toBe(ErrorCode.UsageBadFile);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '../protocol/transport/pty.js';
import { BIN, runCli } from './helpers/cli.js';

/**
 * The real serialport binding over a real pseudo-terminal (socat), end to end: the simulated
 * terminal served by `posdecom simulate --link`, the agent's `posdecom identify` on the other end.
 */
describe('identify over a real pseudo-terminal with the real serialport binding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'posdecom-pty-'));
  const link = join(dir, 'ttySIM');
  let simulator: ChildProcess;

  beforeAll(async () => {
    simulator = spawn(
      process.execPath,
      [BIN, 'simulate', '--model', 'mobile', '--seed', '5', '--link', link],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let errText = '';
    simulator.stderr!.on('data', (d: Buffer) => (errText += d.toString()));
    await new Promise<void>((resolve, reject) => {
      simulator.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes(link)) resolve();
      });
      simulator.on('exit', (code) => reject(new Error(`simulate exited ${code}: ${errText}`)));
    });
  });

  afterAll(async () => {
    const exited = new Promise((r) => simulator.once('exit', r));
    simulator.kill('SIGTERM');
    await exited;
  });

  it('reads identity, binding and status through socat', async () => {
    const r = await runCli(['identify', '--port', link, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      identity: { model: string; serial: string };
      status: { battery: unknown };
    };
    expect(out.identity.serial).toMatch(/\S+/);
    expect(out.status.battery).not.toBeNull();
  });

  it('reports a busy port in one line with exit code 3', async () => {
    const holder = new SerialPort({ path: link, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      const r = await runCli(['identify', '--port', link]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/port busy/);
    } finally {
      await new Promise((res) => holder.close(res));
    }
  });
});

describe('link errors are one line with a documented exit code', () => {
  let pair: PtyPair;
  const dir = mkdtempSync(join(tmpdir(), 'posdecom-pty-'));

  beforeAll(async () => {
    pair = await createPtyPair(join(dir, 'ttyQUIET'));
  });
  afterAll(async () => {
    await pair.close();
  });

  it('an unknown port exits 3', async () => {
    const r = await runCli(['identify', '--port', join(dir, 'no-such-tty')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^posdecom: no such port: .*no-such-tty/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a silent terminal exits 3 after the documented retries', async () => {
    const r = await runCli(['identify', '--port', pair.agentPath, '--timeout', '100']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^posdecom: terminal silent: no valid answer to HELLO after 4 attempts/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

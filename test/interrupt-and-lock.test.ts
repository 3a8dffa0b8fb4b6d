import { spawn } from 'node:child_process';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockJobDir } from '../agent/job-lock.js';
import { BIN } from './helpers/cli.js';
import { cliJob, journalLines, runCliKilling } from './helpers/fault-cli.js';
import { expectCertificate, removeScratch, scratch, sharedPki } from './helpers/fault-harness.js';

/**
 * Ctrl-C during a backup is journaled as the operator's interrupt and exits 9, and --resume
 * completes the job; one job directory is used by one process at a time, and a lock left by a
 * process that died is taken over with a note.
 */

afterAll(removeScratch);

const PART = '65536';
// Paced, the 256 KiB journal store takes a few seconds to back up (at 115200 baud longer).
const PACED = '&baud=921600';
const SLOW = '&baud=115200';

describe('Ctrl-C and SIGTERM', () => {
  it.concurrent(
    'Ctrl-C mid-backup journals an operator interrupt, exits 9, and --resume completes',
    async () => {
      const pki = await sharedPki();
      const j = await cliJob({ model: 'countertop', seed: 5101, name: 'sigint', pki });
      const journal = join(j.out, 'journal.jsonl');
      const child = spawn(process.execPath, [BIN, ...j.args(SLOW, '--backup-part-size', PART)], {
        env: { ...process.env, ...j.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
      // Once the first part of the journal store is complete (its checkpoint exists): mid-backup.
      await until(() => existsSync(join(j.out, 'backup', '.01-journal.cms.parts.json')));
      child.kill('SIGINT');
      const run = { ...(await exited), stderr };
      expect(run.signal).toBeNull();
      expect(run.code, run.stderr).toBe(9);
      expect(run.stderr).toMatch(/interrupted by operator \(SIGINT\); run the same command with --resume/);
      const entries = journalLines(journal);
      expect(entries.at(-1)).toMatchObject({ type: 'stop', data: { kind: 'interrupted', signal: 'SIGINT' } });
      expect(entries.some((e) => e.type === 'result' && e.step === 'backup' && e.target === 'journal')).toBe(
        false,
      );
      expect(existsSync(join(j.out, LOCK_FILE))).toBe(false);

      const resumed = await runCliKilling(j.args('', '--resume', '--backup-part-size', PART), j.env);
      expect(resumed.code, resumed.stderr).toBe(0);
      await expectCertificate(j.out, 'PASS');
    },
  );
});

describe('one process per job directory', () => {
  it.concurrent(
    'a second run on the same DIR stops with one line (exit 6) before opening the port; a killed holder’s lock is taken over',
    async () => {
      const pki = await sharedPki();
      const j = await cliJob({ model: 'countertop', seed: 5102, name: 'lock', pki });
      const journal = join(j.out, 'journal.jsonl');
      // The first run is still backing up when the second starts.
      const first = spawn(process.execPath, [BIN, ...j.args(PACED)], {
        env: { ...process.env, ...j.env },
        stdio: 'ignore',
      });
      const exited = new Promise((r) => first.on('close', r));
      try {
        await until(() => journalLines(journal).some((e) => e.type === 'intent' && e.step === 'backup'));
        const record = join(j.root, 'second.jsonl');
        const second = await runCliKilling(j.args('', '--resume', '--record', record), j.env);
        expect(second.code).toBe(6);
        expect(second.stderr.trim().split('\n')).toHaveLength(1);
        expect(second.stderr).toMatch(/is in use by another posdecom \(pid \d+ on /);
        expect(existsSync(record)).toBe(false); // refused before any transcript or link
      } finally {
        first.kill('SIGKILL');
        await exited;
      }
      expect(existsSync(join(j.out, LOCK_FILE))).toBe(true); // left by the killed process
      const third = await runCliKilling(j.args('', '--resume'), j.env);
      expect(third.code, third.stderr).toBe(0);
      const notes = journalLines(journal).filter(
        (e) => e.type === 'note' && e.data?.event === 'stale-lock-taken-over',
      );
      expect(notes).toEqual([
        expect.objectContaining({
          data: expect.objectContaining({
            holder: expect.objectContaining({ pid: first.pid, why: expect.stringMatching(/is not running/) }),
          }),
        }),
      ]);
      await expectCertificate(j.out, 'PASS');
    },
  );

  it('takes over a lock from another host only once its heartbeat is older than 5 minutes', () => {
    const dir = scratch('lock-host');
    const path = join(dir, LOCK_FILE);
    const foreign = {
      pid: 4242,
      host: `${hostname()}-elsewhere`,
      startedAt: new Date().toISOString(),
      command: 'backup',
    };
    writeFileSync(path, JSON.stringify(foreign));
    expect(() => lockJobDir(dir, 'backup')).toThrow(/in use by another posdecom \(pid 4242 on /);
    const old = new Date(Date.now() - 6 * 60_000);
    utimesSync(path, old, old);
    const lock = lockJobDir(dir, 'backup');
    expect(lock.tookOver).toMatchObject({ pid: 4242, why: expect.stringMatching(/no heartbeat for \d+ s/) });
    expect(() => lockJobDir(dir, 'decommission')).toThrow(/in use by another posdecom \(pid \d+ on /);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

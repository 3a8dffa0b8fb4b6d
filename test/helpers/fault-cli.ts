import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { JournalEntry } from '../../agent/journal.js';
import { BIN } from './cli.js';

/**
 * Runs the built CLI and, optionally, kills it with SIGKILL once its journal shows a chosen
 * entry: the kill lands at a known step of the job (plus a chosen delay, to land inside the
 * step), whatever the machine's speed. Only entries this run appended count.
 */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The entry whose appearance triggered the kill, when one did. */
  killedAfter?: JournalEntry;
}

export interface KillPlan {
  journalPath: string;
  /** True for the entry (appended by this run) after which the agent is to die. */
  when: (entry: JournalEntry) => boolean;
  delayMs: number;
}

/** Complete lines of the journal (a torn last line is skipped, as the agent itself does). */
export function journalLines(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as JournalEntry);
}

const POLL_MS = 4;

export function runCliKilling(
  args: string[],
  env: NodeJS.ProcessEnv,
  kill?: KillPlan,
  timeoutMs = 50_000,
): Promise<CliRun> {
  const skip = kill ? journalLines(kill.journalPath).length : 0;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killedAfter: JournalEntry | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const watch = kill
      ? setInterval(() => {
          if (killedAfter) return;
          const found = journalLines(kill.journalPath).slice(skip).find(kill.when);
          if (!found) return;
          killedAfter = found;
          clearInterval(watch);
          setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
        }, POLL_MS)
      : undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`posdecom ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (watch) clearInterval(watch);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ...(signal === 'SIGKILL' && killedAfter ? { killedAfter } : {}),
      });
    });
  });
}

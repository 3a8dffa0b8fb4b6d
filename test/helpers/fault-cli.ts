import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '../../agent/journal.js';
import { SimulatedTerminal } from '../../protocol/line/terminal/index.js';
import { BIN, signingArgs } from './cli.js';
import { scratch } from './fault-harness.js';
import { storeDigestsAsBackedUp } from './sim-terminals.js';

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

/** When to kill the agent: after a journal entry, or as soon as something outside it is true. */
export type KillPlan = JournalKill | { until: () => boolean; signal?: NodeJS.Signals };

export interface JournalKill {
  journalPath: string;
  /** True for the entry (appended by this run) after which the agent is to die. */
  when: (entry: JournalEntry) => boolean;
  delayMs: number;
  /** What to send (default SIGKILL, a crash; SIGINT is Ctrl-C). */
  signal?: NodeJS.Signals;
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
  const skip = kill && 'journalPath' in kill ? journalLines(kill.journalPath).length : 0;
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
          if ('until' in kill) {
            if (!kill.until()) return;
            clearInterval(watch);
            child.kill(kill.signal ?? 'SIGKILL');
            return;
          }
          const found = journalLines(kill.journalPath).slice(skip).find(kill.when);
          if (!found) return;
          killedAfter = found;
          clearInterval(watch);
          setTimeout(() => child.kill(kill.signal ?? 'SIGKILL'), kill.delayMs);
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
        ...(killedAfter && (signal === 'SIGKILL' || kill?.signal !== undefined) ? { killedAfter } : {}),
      });
    });
  });
}

/**
 * One terminal's `decommission` as a technician would run it from the shell, for the tests that
 * kill or cut the agent: the simulator's ground truth read first, a work order whose authority
 * code comes from the environment, and the argument list with a `--state` file so every run
 * reaches the same terminal.
 */
export interface CliJob {
  truth: Map<string, string>;
  stores: string[];
  serial: string;
  root: string;
  out: string;
  state: string;
  env: Record<string, string>;
  /** `query` is appended to the `sim:` port (e.g. `&faults=...`). */
  args: (query: string, ...extra: string[]) => string[];
}

export async function cliJob(o: {
  model: 'countertop' | 'mobile' | 'unattended';
  seed: number;
  storeScale?: number;
  name: string;
  pki: { passphrase: string } & Parameters<typeof signingArgs>[0];
}): Promise<CliJob> {
  const probe = await SimulatedTerminal.create({
    model: o.model,
    seed: o.seed,
    ...(o.storeScale ? { storeScale: o.storeScale } : {}),
  });
  const stores = probe.storeNames;
  const truth = await storeDigestsAsBackedUp({
    model: o.model,
    seed: o.seed,
    ...(o.storeScale ? { storeScale: o.storeScale } : {}),
  });
  const { serial, model } = probe.identity;
  const authorityCode = probe.authorityCode;
  await probe.close();
  const root = scratch(`${o.name}-${o.seed}`);
  const out = join(root, 'out');
  const state = join(root, 'terminal-state.json');
  const workOrder = join(root, 'work-order.json');
  const authorityEnv = 'POSDECOM_TEST_AUTHORITY_CODE';
  writeFileSync(
    workOrder,
    JSON.stringify({
      id: `WO-${o.name.toUpperCase()}-${o.seed}`,
      terminal: { serial, model },
      reason: 'end-of-lease',
      owner: { merchant: 'Test Café', location: '1 Test Street' },
      technician: {
        name: 'Test Technician',
        organisation: 'Test Estate Ltd',
        contact: 'technician@example.org',
      },
      destination: 'recycling',
      authority: { reference: `ACQ-${serial}`, codeEnv: authorityEnv },
    }),
  );
  const scale = o.storeScale ? `&scale=${o.storeScale}` : '';
  return {
    truth,
    stores,
    serial,
    root,
    out,
    state,
    env: { POSDECOM_KEY_PASSPHRASE: o.pki.passphrase, [authorityEnv]: authorityCode },
    args: (query, ...extra) => [
      'decommission',
      '--port',
      `sim:${o.model}?seed=${o.seed}${scale}&state=${state}${query}`,
      '--work-order',
      workOrder,
      '--out',
      out,
      ...signingArgs(o.pki),
      '--yes',
      ...extra,
    ],
  };
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { loadPrivateKey } from '../wipe/pki/keys.js';
import { restoreBackup } from '../wipe/backup/restore.js';
import {
  expectBackupsBeforeErases,
  expectCertificate,
  removeScratch,
  sharedPki,
} from './helpers/fault-harness.js';
import { cliJob, journalLines, runCliKilling, type CliRun } from './helpers/fault-cli.js';

/**
 * The agent is killed with SIGKILL at seeded random points of a real `posdecom decommission`
 * run (a separate process, the simulated terminal in it persisting to --state), then run again
 * with --resume, killed again, and so on until a run finishes. The simulator dies with each
 * agent and comes back from its state file, as a terminal would after a power cut.
 *
 * A kill point is a journal entry of the job (the agent dies right after appending it) plus a
 * seeded delay of up to 25 ms, so kills land inside steps too: mid-backup, mid-erase, during
 * the certificate. Whatever the points, the finished job must be as clean as an undisturbed one.
 */

const MODEL = 'countertop';
const SCALE = 0.25;
// Eight cases plan 32 kills; a kill planned near the end can miss a run that already finished,
// so the bound of 20 below keeps a wide margin.
const CASES = 8;
const KILLS_PER_CASE = 4;
const MAX_DELAY_MS = 25;

afterAll(removeScratch);

/** mulberry32: a small seeded generator, so the kill points are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Point {
  type: string;
  step?: string;
  target?: string;
}

/** The journal entries of an undisturbed job, in order: the places a kill can follow. */
function cleanOrder(stores: string[]): Point[] {
  const pair = (step: string, target?: string): Point[] => [
    { type: 'intent', step, ...(target ? { target } : {}) },
    { type: 'result', step, ...(target ? { target } : {}) },
  ];
  return [
    { type: 'job' },
    { type: 'result', step: 'identify' },
    { type: 'result', step: 'authorize' },
    { type: 'result', step: 'inventory' },
    ...pair('disable-acceptance'),
    ...pair('settle'),
    ...pair('network-down'),
    ...stores.flatMap((s) => pair('backup', s)),
    ...stores.flatMap((s) => pair('erase', s)),
    ...pair('key-zeroization'),
    ...pair('unbind'),
    ...pair('finalize'),
    { type: 'intent', step: 'certificate' },
  ];
}

const matches = (p: Point) => (e: JournalEntry) =>
  e.type === p.type && e.step === p.step && e.target === p.target;

/** How far along the clean order the journal has got (-1: nowhere). */
function reached(order: Point[], entries: JournalEntry[]): number {
  let furthest = -1;
  order.forEach((p, i) => {
    if (entries.some(matches(p))) furthest = i;
  });
  return furthest;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface CaseResult {
  kills: number;
  runs: CliRun[];
}

const results: CaseResult[] = [];

describe('the agent killed with SIGKILL at random points', () => {
  it.concurrent.each(Array.from({ length: CASES }, (_, i) => ({ n: i + 1, seed: 900 + i })))(
    'case $n (seed $seed): every resume continues the job, and the last one finishes it cleanly',
    async ({ seed }) => {
      const pki = await sharedPki();
      const random = seeded(seed * 7919);
      const job = await cliJob({ model: MODEL, seed, storeScale: SCALE, name: 'kill', pki });
      const { stores, truth, root, out, state, env } = job;
      const journal = join(out, 'journal.jsonl');
      const args = (...extra: string[]) => job.args('', ...extra);

      const order = cleanOrder(stores);
      const last = order.length - 1;
      // Distinct points spread over the whole job, in order.
      const planned = new Set<number>();
      while (planned.size < KILLS_PER_CASE) planned.add(Math.floor(random() * (last + 1)));
      const points = [...planned].sort((a, b) => a - b);
      const runs: CliRun[] = [];
      let kills = 0;
      for (let k = 0; k < KILLS_PER_CASE; k++) {
        // A planned point the previous kill's delay carried past is replaced by a later one.
        const from = reached(order, journalLines(journal)) + 1;
        if (from > last) break;
        const index = points[k]! >= from ? points[k]! : from + Math.floor(random() * (last + 1 - from));
        const point = order[index]!;
        const delayMs = Math.floor(random() * (MAX_DELAY_MS + 1));
        const run = await runCliKilling(args(...(k > 0 ? ['--resume'] : [])), env, {
          journalPath: journal,
          when: matches(point),
          delayMs,
        });
        runs.push(run);
        if (run.signal !== 'SIGKILL') {
          // It finished before the kill could land (the point was near the end): that is fine.
          expect(run.code, run.stderr).toBe(0);
          break;
        }
        expect(run.killedAfter).toMatchObject(point);
        kills++;
        if (k === 0 && seed % 3 === 0) {
          // After an interruption, a run without --resume on the same DIR is refused.
          const fresh = await runCliKilling(args(), env);
          expect(fresh.code).toBe(6);
          expect(fresh.stderr).toMatch(/holds an unfinished job; continue it with --resume/);
        }
      }
      if (runs.at(-1)?.signal === 'SIGKILL') {
        const final = await runCliKilling(args('--resume'), env);
        runs.push(final);
        expect(final.code, final.stderr).toBe(0);
      }
      results.push({ kills, runs });

      // Every kill was followed by exactly one resumed run.
      const entries = journalLines(journal);
      expect(entries.filter((e) => e.type === 'resume')).toHaveLength(kills);
      expectBackupsBeforeErases(entries, stores);

      // The terminal, back from its state file: each store erased exactly once, decommissioned.
      const after = await SimulatedTerminal.create({
        model: MODEL,
        seed,
        storeScale: SCALE,
        statePath: state,
      });
      for (const s of stores) expect(after.eraseCount(s), `erases of ${s}`).toBe(1);
      expect(after.identity.state).toBe('decommissioned');
      await after.close();

      // Backups: the manifest holds the digests the terminal reported before erasing, and the
      // decrypted files are exactly those bytes.
      const manifest = JSON.parse(readFileSync(join(out, 'backup', 'manifest.json'), 'utf8')) as {
        stores: { name: string; status: string; terminalSha256: string; receivedSha256: string }[];
      };
      expect(manifest.stores.map((s) => s.name).sort()).toEqual([...stores].sort());
      for (const s of manifest.stores) {
        expect([s.status, s.terminalSha256, s.receivedSha256], s.name).toEqual([
          'ok',
          truth.get(s.name),
          truth.get(s.name),
        ]);
      }
      const restored = await restoreBackup({
        backupDir: join(out, 'backup'),
        key: await loadPrivateKey(pki.recipientKeyPath, pki.passphrase),
        outDir: join(root, 'restored'),
      });
      for (const s of restored.stores) {
        expect(s.status, s.error ?? s.name).toBe('restored');
        expect(sha256(readFileSync(join(root, 'restored', s.output!))), s.name).toBe(truth.get(s.name));
      }
      await expectCertificate(out, 'PASS');
    },
  );

  it('landed at least 20 kills across the cases', () => {
    // Runs after the cases above (vitest runs a file's tests in order; concurrent ones first).
    expect(results).toHaveLength(CASES);
    expect(results.reduce((n, r) => n + r.kills, 0)).toBeGreaterThanOrEqual(20);
  });
});

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import { MODEL_NAMES } from '../protocol/line/terminal/index.js';
import {
  expectCleanFinish,
  journalOf,
  removeScratch,
  resumeUntilDone,
  rig,
  runJob,
  scratch,
  type Rig,
} from './helpers/fault-harness.js';
import { readReplies } from './helpers/fault-transcript.js';

/**
 * The link drops in the middle of the long steps (a store's backup, a store's erase) and after
 * the terminal executed a destructive request but before its answer arrived. Either the link
 * comes back within --reconnect-wait and the same run finishes, or the agent gives up (exit 9)
 * and `--resume` finishes. Either way the end state is the same clean one.
 */

const STORES = ['journal', 'batch', 'saf', 'settlements', 'logs', 'config'];
/**
 * Every store 48 KiB (settlements and logs grow by a record when the batch settles): a dozen READ
 * replies each at the smallest line, and an erase of several ticks.
 */
const EVEN = {
  storeSizes: Object.fromEntries(STORES.map((s) => [s, 48 * 1024])),
  eraseBytesPerSecond: 1024 * 1024,
};
/** The smallest line and no compression, so a store arrives in many replies of a predictable size. */
const SMALL_LINES = { maxLine: 4096, compression: ['none' as const] };

afterAll(removeScratch);

/** `even`: every store 48 KiB (for cuts that must land part-way into a store); else the small default. */
async function faulted(seed: number, faults: string, even = false): Promise<Rig> {
  const r = await rig({ seed, faults, ...(even ? EVEN : {}) });
  return r;
}

function indexOf(entries: JournalEntry[], type: string, step: string, target?: string): number {
  return entries.findIndex((e) => e.type === type && e.step === step && e.target === target);
}

/** The link-lost notes, with where in the journal they fall. */
function linkLosses(entries: JournalEntry[]): { at: number; during: string }[] {
  return entries.flatMap((e, at) =>
    e.type === 'note' && e.data?.event === 'link-lost' ? [{ at, during: String(e.data.during) }] : [],
  );
}

/** The job stopped as interrupted inside `step`, and a fresh run on the same DIR is refused. */
async function expectInterruptedIn(r: Rig, dir: string, step: string, target?: string): Promise<void> {
  const entries = journalOf(dir);
  const last = entries.at(-1)!;
  expect(last).toMatchObject({ type: 'stop', data: { kind: 'interrupted' } });
  expect(String(last.data?.error)).toMatch(/--resume/);
  const intent = indexOf(entries, 'intent', step, target);
  expect(intent, `intent ${step} ${target ?? ''}`).toBeGreaterThan(0);
  expect(indexOf(entries, 'result', step, target), 'no result for the interrupted step').toBe(-1);
  const refused = await runJob(r, dir);
  expect(refused.refusal).toMatch(/holds an unfinished job; continue it with --resume/);
  expect(refused.exitCode).toBe(6);
  expect(journalOf(dir)).toEqual(entries);
}

describe('a backup cut off in the middle of a store', () => {
  it.concurrent.each(STORES.map((store, i) => ({ store, seed: 300 + i })))(
    'continues $store from the offset it reached when the link comes back, not from zero',
    async ({ store, seed }) => {
      const r = await faulted(seed, `disconnect-at=READ:${store}:50%`, true);
      const dir = scratch('mid-read');
      const record = join(dir, 'transcript.jsonl');
      const run = await runJob(r, dir, { session: SMALL_LINES, record });
      await expectCleanFinish(r, dir, run);

      const entries = journalOf(dir);
      const losses = linkLosses(entries);
      expect(losses.map((l) => l.during)).toEqual([`read ${store}`]);
      expect(losses[0]!.at).toBeGreaterThan(indexOf(entries, 'intent', 'backup', store));
      expect(losses[0]!.at).toBeLessThan(indexOf(entries, 'result', 'backup', store));
      expect(entries.some((e) => e.type === 'resume')).toBe(false);

      const size = r.terminal.storeSize(store);
      const reads = readReplies(record).filter((x) => x.step === `backup:${store}` && x.store === store);
      const before = reads.filter((x) => x.connection === 1);
      const after = reads.filter((x) => x.connection > 1);
      expect(before.length, 'replies before the cut').toBeGreaterThan(1);
      expect(after.length, 'replies after the reconnect').toBeGreaterThan(0);
      // What had been delivered in order when the link dropped (replies beyond a gap are not).
      let reached = 0;
      for (const x of [...before].sort((a, b) => a.offset - b.offset)) {
        if (x.offset === reached) reached += x.length;
      }
      expect(reached).toBeGreaterThan(0);
      expect(reached).toBeLessThanOrEqual(size / 2);
      // After the reconnect the agent asks from there, not from zero, and reads the rest once.
      expect(after[0]!.offset).toBe(reached);
      let next = reached;
      for (const x of [...after].sort((a, b) => a.offset - b.offset)) {
        expect(x.offset).toBe(next);
        next += x.length;
      }
      expect(next).toBe(size);
    },
  );

  it.concurrent.each(STORES.map((store, i) => ({ store, seed: 310 + i })))(
    'stops as interrupted when the link stays down during the backup of $store, and --resume completes',
    async ({ store, seed }) => {
      const r = await faulted(seed, `disconnect-at=READ:${store}:50%`);
      const dir = scratch('mid-read-resume');
      const first = await runJob(r, dir, { reconnectWaitMs: 0 });
      expect(first.exitCode, first.summary.stopReason ?? '').toBe(9);
      await expectInterruptedIn(r, dir, 'backup', store);
      expect(r.terminal.storeNames.map((s) => r.terminal.eraseCount(s))).toEqual(STORES.map(() => 0));
      const done = await resumeUntilDone(r, dir, { reconnectWaitMs: 0 });
      await expectCleanFinish(r, dir, done);
    },
  );
});

describe('an erase cut off half-way', () => {
  it.concurrent.each(STORES.map((store, i) => ({ store, seed: 320 + i })))(
    'of $store is followed to completion after the reconnect, without erasing twice',
    async ({ store, seed }) => {
      const r = await faulted(seed, `disconnect-at=ERASE:${store}:50%`, true);
      const dir = scratch('mid-erase');
      const run = await runJob(r, dir);
      await expectCleanFinish(r, dir, run);
      const entries = journalOf(dir);
      const losses = linkLosses(entries);
      expect(losses).toHaveLength(1);
      expect(losses[0]!.during).toMatch(new RegExp(`^(erase|erase status|verify|read back) ${store}$`));
      expect(losses[0]!.at).toBeGreaterThan(indexOf(entries, 'intent', 'erase', store));
      expect(losses[0]!.at).toBeLessThan(indexOf(entries, 'result', 'erase', store));
    },
  );

  it.concurrent.each(STORES.map((store, i) => ({ store, seed: 330 + i })))(
    'of $store, when the agent gives up, is confirmed by --resume without a second erase',
    async ({ store, seed }) => {
      const r = await faulted(seed, `disconnect-at=ERASE:${store}:50%`, true);
      const dir = scratch('mid-erase-resume');
      const first = await runJob(r, dir, { reconnectWaitMs: 0 });
      expect(first.exitCode, first.summary.stopReason ?? '').toBe(9);
      await expectInterruptedIn(r, dir, 'erase', store);
      expect(r.terminal.eraseCount(store)).toBe(1);
      const done = await resumeUntilDone(r, dir, { reconnectWaitMs: 0 });
      await expectCleanFinish(r, dir, done);
    },
  );
});

/** Destructive requests (and the erase request itself) executed by the terminal, answer lost. */
const EXECUTED_UNANSWERED: { fault: string; step: string; target?: string }[] = [
  { fault: 'CHANNEL', step: 'disable-acceptance' },
  { fault: 'SETTLE', step: 'settle' },
  { fault: 'NETWORK', step: 'network-down' },
  { fault: 'ERASE:saf', step: 'erase', target: 'saf' },
  { fault: 'VERIFY_ERASE:logs', step: 'erase', target: 'logs' },
  { fault: 'ZEROIZE', step: 'key-zeroization' },
  { fault: 'UNBIND', step: 'unbind' },
  { fault: 'FINALIZE', step: 'finalize' },
];

describe('a request the terminal executed but whose answer was lost', () => {
  it.concurrent.each(EXECUTED_UNANSWERED.map((c, i) => ({ ...c, seed: 340 + i })))(
    'is not done twice after the reconnect: $fault',
    async ({ fault, step, target, seed }) => {
      const r = await faulted(seed, `disconnect-at=${fault}`);
      const dir = scratch('unanswered');
      const run = await runJob(r, dir);
      await expectCleanFinish(r, dir, run);
      const entries = journalOf(dir);
      const losses = linkLosses(entries);
      expect(losses).toHaveLength(1);
      expect(losses[0]!.at).toBeGreaterThan(indexOf(entries, 'intent', step, target));
      expect(losses[0]!.at).toBeLessThan(indexOf(entries, 'result', step, target));
    },
  );

  it.concurrent.each(EXECUTED_UNANSWERED.map((c, i) => ({ ...c, seed: 350 + i })))(
    'is confirmed, not repeated, by --resume after the agent gave up: $fault',
    async ({ fault, step, target, seed }) => {
      const r = await faulted(seed, `disconnect-at=${fault}`);
      const dir = scratch('unanswered-resume');
      const first = await runJob(r, dir, { reconnectWaitMs: 0 });
      expect(first.exitCode, first.summary.stopReason ?? '').toBe(9);
      await expectInterruptedIn(r, dir, step, target);
      const done = await resumeUntilDone(r, dir, { reconnectWaitMs: 0 });
      await expectCleanFinish(r, dir, done);
    },
  );
});

describe('every simulated model', () => {
  it.concurrent.each(MODEL_NAMES.map((model, i) => ({ model, seed: 360 + i })))(
    'finishes $model cleanly after a cut in its first backup and one in its first erase',
    async ({ model, seed }) => {
      const r = await rig({
        seed,
        model,
        faults: 'disconnect-at=READ:journal:50%,disconnect-at=ERASE:journal:50%',
      });
      const dir = scratch('models');
      const run = await runJob(r, dir);
      await expectCleanFinish(r, dir, run);
      expect(linkLosses(journalOf(dir))).toHaveLength(2);
    },
  );
});

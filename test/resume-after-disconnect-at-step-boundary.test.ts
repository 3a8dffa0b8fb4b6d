import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import { createLinkPair } from '../protocol/line/terminal/index.js';
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

/**
 * The cable is pulled exactly between two steps of `decommission`: after one step's result is
 * journaled and before the next step's intent. The runner announces every step to the reporter
 * just before journaling its intent, so the test pulls the cable from there.
 *
 * Flavour (a): the link comes back within --reconnect-wait and the same run finishes.
 * Flavour (b): --reconnect-wait 0, the run stops as interrupted (exit 9), a run without
 * --resume is refused (exit 6), and --resume finishes.
 */

const STORES = ['journal', 'batch', 'saf', 'settlements', 'logs', 'config'];
/** Every step the runner announces after inventory, in order; `certificate` talks to no terminal. */
const BOUNDARIES: { step: string; target?: string }[] = [
  { step: 'disable-acceptance' },
  { step: 'settle' },
  { step: 'network-down' },
  ...STORES.map((target) => ({ step: 'backup', target })),
  ...STORES.map((target) => ({ step: 'erase', target })),
  { step: 'key-zeroization' },
  { step: 'unbind' },
  { step: 'finalize' },
];

afterAll(removeScratch);

function label(b: { step: string; target?: string }): string {
  return b.target ? `${b.step}: ${b.target}` : b.step;
}

/** Pulls the cable once, when the runner announces `boundary`: the terminal takes a new, dead link. */
function pullAt(r: Rig, boundary: string): { onStep: (text: string) => void; pulled: () => boolean } {
  let pulled = false;
  return {
    onStep: (text) => {
      if (pulled || text !== boundary) return;
      pulled = true;
      r.terminal.attach(createLinkPair()[1]);
    },
    pulled: () => pulled,
  };
}

function at(entries: JournalEntry[], type: string, step: string, target?: string): number {
  return entries.findIndex((e) => e.type === type && e.step === step && e.target === target);
}

describe('the link drops at a step boundary', () => {
  it.concurrent.each(BOUNDARIES.map((b, i) => ({ ...b, label: label(b), seed: 400 + i })))(
    'before $label: the link comes back and the same run finishes cleanly',
    async ({ step, target, label, seed }) => {
      const r = await rig({ seed });
      const dir = scratch('boundary');
      const cut = pullAt(r, label);
      const run = await runJob(r, dir, { onStep: cut.onStep });
      expect(cut.pulled()).toBe(true);
      await expectCleanFinish(r, dir, run);
      const entries = journalOf(dir);
      const lost = entries.findIndex((e) => e.type === 'note' && e.data?.event === 'link-lost');
      const notes = entries.filter((e) => e.type === 'note' && e.data?.event === 'link-lost');
      expect(notes).toHaveLength(1);
      // The loss is noticed by the first request of the step that was about to start.
      expect(lost).toBe(at(entries, 'intent', step, target) + 1);
      expect(entries.some((e) => e.type === 'resume')).toBe(false);
    },
  );

  it.concurrent.each(BOUNDARIES.map((b, i) => ({ ...b, label: label(b), seed: 420 + i })))(
    'before $label: the agent gives up (exit 9), refuses a fresh run on DIR (exit 6), and --resume finishes',
    async ({ step, target, label, seed }) => {
      const r = await rig({ seed });
      const dir = scratch('boundary-resume');
      const cut = pullAt(r, label);
      const first = await runJob(r, dir, { onStep: cut.onStep, reconnectWaitMs: 0 });
      expect(first.exitCode, first.summary.stopReason ?? '').toBe(9);
      const entries = journalOf(dir);
      expect(entries.at(-1)).toMatchObject({ type: 'stop', data: { kind: 'interrupted' } });
      // Everything before the boundary has its result; the step after it has only its intent.
      const intent = at(entries, 'intent', step, target);
      expect(intent).toBeGreaterThan(0);
      expect(at(entries, 'result', step, target)).toBe(-1);
      const previous = entries.slice(0, intent).filter((e) => e.type === 'intent');
      for (const e of previous) expect(at(entries, 'result', e.step!, e.target), e.step).toBeGreaterThan(0);
      const erasedSoFar = STORES.filter((s) => r.terminal.eraseCount(s) > 0);
      expect(erasedSoFar).toEqual(
        entries.filter((e) => e.type === 'result' && e.step === 'erase').map((e) => e.target),
      );

      const fresh = await runJob(r, dir);
      expect(fresh.exitCode).toBe(6);
      expect(fresh.refusal).toMatch(/holds an unfinished job; continue it with --resume/);
      expect(journalOf(dir)).toEqual(entries);

      const done = await resumeUntilDone(r, dir, { reconnectWaitMs: 0 });
      await expectCleanFinish(r, dir, done);
      expect(journalOf(dir).filter((e) => e.type === 'resume')).toHaveLength(1);
    },
  );
});

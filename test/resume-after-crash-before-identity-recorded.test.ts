import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLinkPair } from '../protocol/line/terminal/index.js';
import {
  certificateOf,
  expectCleanFinish,
  journalOf,
  removeScratch,
  resumeUntilDone,
  rig,
  runJob,
  scratch,
} from './helpers/fault-harness.js';

/**
 * A new job journals five entries back to back before anything else: the job itself, then the
 * identify and authorize intents and results. A crash between them (each is fsynced on its own) leaves a
 * journal that has the job but not the proof of whose terminal it is. The resumed run identifies
 * and authorizes again, and must record that, or the certificate says "identify: missing".
 */

afterAll(removeScratch);

describe('a crash right after the job entry', () => {
  it.each([
    { kept: 1, seed: 450 },
    { kept: 2, seed: 451 },
  ])(
    'with $kept journal line(s) kept is resumed into a PASS with identify and authorize',
    async ({ kept, seed }) => {
      const r = await rig({ seed });
      const dir = scratch('early-crash');
      // Stop the first run before its first step, then cut its journal as the crash would have.
      let pulled = false;
      const first = await runJob(r, dir, {
        reconnectWaitMs: 0,
        onStep: (text) => {
          if (pulled || text !== 'disable-acceptance') return;
          pulled = true;
          r.terminal.attach(createLinkPair()[1]);
        },
      });
      expect(first.exitCode).toBe(9);
      const path = join(dir, 'journal.jsonl');
      const lines = readFileSync(path, 'utf8').split('\n');
      writeFileSync(path, lines.slice(0, kept).join('\n') + '\n');
      expect(journalOf(dir).map((e) => e.step ?? e.type)).toEqual(
        ['job', 'identify', 'authorize'].slice(0, kept),
      );

      const done = await resumeUntilDone(r, dir, { reconnectWaitMs: 0 });
      await expectCleanFinish(r, dir, done);
      const steps = certificateOf(dir).steps;
      for (const step of ['identify', 'authorize']) {
        expect(
          steps.filter((s) => s.step === step).map((s) => s.result),
          step,
        ).toEqual(['PASS']);
      }
    },
  );
});

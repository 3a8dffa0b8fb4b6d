import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { expectBackupsBeforeErases, removeScratch, sharedPki } from './helpers/fault-harness.js';
import { journalLines, runCliKilling } from './helpers/fault-cli.js';
import { zvtCliJob } from './helpers/zvt-cli-job.js';

/**
 * A ZVT job killed with SIGKILL at points that matter (mid-End-of-Day, between two reads of a
 * file, right after a Delete File, mid-unbind), the simulated terminal dying with it and coming
 * back from its state file, then run again with --resume until it finishes: the finished job is
 * as clean as an undisturbed one, and nothing was lost.
 */
afterAll(removeScratch);

const SEED = 231;
const SCALE = 0.02;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const at = (type: string, step: string, target?: string) => (e: JournalEntry) =>
  e.type === type && e.step === step && e.target === target;

describe('a ZVT job killed with SIGKILL and resumed', () => {
  it('continues after each kill; the last run ends INCOMPLETE with every file backed up before it was deleted', async () => {
    const pki = await sharedPki();
    // Paced (about 21 KB/s): the job after a kill point lasts seconds, not milliseconds, so a
    // loaded machine polling the journal still kills it where the test says.
    const { out, journal, state, env, args } = await zvtCliJob({
      seed: SEED,
      scale: SCALE,
      name: 'zvt-kill',
      query: '&baud=230400',
      pki,
    });
    const truthTerminal = await SimulatedZvtTerminal.create({ seed: SEED, fileScale: SCALE });
    const files = truthTerminal.snapshot().files;
    const truth = new Map(files.map((f) => [f.name, sha256(truthTerminal.fileBytes(f.id))]));
    await truthTerminal.close();
    const kills: [(e: JournalEntry) => boolean, number][] = [
      [at('intent', 'settle'), 5],
      // Right after the first read's digest of the merchant journal is journaled.
      [
        (e) => e.type === 'note' && e.data?.event === 'store-digest' && e.data.store === 'merchant-journal',
        0,
      ],
      [at('intent', 'erase', 'customer-journal'), 8],
      [at('intent', 'unbind'), 3],
    ];
    let killed = 0;
    for (const [when, delayMs] of kills) {
      const resume = journalLines(journal).length > 0 ? ['--resume'] : [];
      const run = await runCliKilling(args(...resume), env, { journalPath: journal, when, delayMs });
      if (run.signal !== 'SIGKILL') {
        expect(run.code, run.stderr).toBe(11);
        break;
      }
      killed++;
    }
    expect(killed).toBeGreaterThanOrEqual(3);
    const final = await runCliKilling(args('--resume'), env);
    expect(final.code, final.stdout + final.stderr).toBe(11);

    const entries = journalLines(journal);
    expectBackupsBeforeErases(entries, [...truth.keys()]);
    const manifest = JSON.parse(readFileSync(join(out, 'backup', 'manifest.json'), 'utf8')) as {
      stores: { name: string; status: string; terminalSha256: string; receivedSha256: string }[];
    };
    for (const s of manifest.stores) {
      expect([s.status, s.terminalSha256, s.receivedSha256], s.name).toEqual([
        'ok',
        truth.get(s.name),
        truth.get(s.name),
      ]);
    }
    const after = await SimulatedZvtTerminal.create({ seed: SEED, fileScale: SCALE, statePath: state });
    expect(after.snapshot()).toMatchObject({ tid: null, batchCount: 0 });
    expect(after.snapshot().files.every((f) => f.deleted)).toBe(true);
    await after.close();
    const cert = JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')) as {
      overall: { result: string };
      steps: { step: string; result: string }[];
    };
    expect(cert.overall.result).toBe('INCOMPLETE');
    expect(cert.steps.filter((s) => s.result === 'FAIL')).toEqual([]);
  }, 240_000);
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_IDS } from '../protocol/zvt/codec/commands.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { expectBackupsBeforeErases, removeScratch, sharedPki } from './helpers/fault-harness.js';
import { journalLines, runCliKilling } from './helpers/fault-cli.js';
import { zvtCliJob } from './helpers/zvt-cli-job.js';

/**
 * The worst moment to die in a ZVT delete: the terminal has deleted the file (it took the ECR's
 * 80 00 00 to the Delete File completion) and the agent is killed before it journals that. The
 * kill is triggered by the simulated terminal's own state file showing the file deleted, so it
 * lands in that window every time (the terminal is slowed down, so the window is wide). The
 * resumed job must not send Delete File for a file that is gone (the terminal would refuse it):
 * it looks first, finds it gone, and proves it by reading it again.
 */
afterAll(removeScratch);

const SEED = 233;
describe('a ZVT job killed right after the terminal deleted a file', () => {
  it('resumes without sending Delete File again, finds the file gone and proves it by reading it again', async () => {
    const pki = await sharedPki();
    // Big blocks (few APDUs) and a slow terminal: after the delete, the agent's next journal
    // entry is at least two terminal answers (its re-read) away, a wide window for the kill.
    const job = await zvtCliJob({
      seed: SEED,
      scale: 0.02,
      name: 'zvt-kill-delete',
      query: '&block=65000&turnaround=60',
      pki,
    });
    const { root, out, state, env, args } = job;
    const names = job.terminal.files.map((f) => f.name);
    const deleted = (id: number) => () =>
      existsSync(state) &&
      (JSON.parse(readFileSync(state, 'utf8')) as { deletedFiles: number[] }).deletedFiles.includes(id);

    const first = await runCliKilling(args(), env, { until: deleted(FILE_IDS.customerJournal) });
    expect(first.signal, first.stdout + first.stderr).toBe('SIGKILL');
    const journal = join(out, 'journal.jsonl');
    const before = journalLines(journal);
    const isCustomerErase = (e: { step?: string; target?: string }) =>
      e.step === 'erase' && e.target === 'customer-journal';
    // The window was hit: the erase was begun, the terminal deleted the file, no result was journaled.
    expect(before.some((e) => e.type === 'intent' && isCustomerErase(e))).toBe(true);
    expect(before.some((e) => e.type === 'result' && isCustomerErase(e))).toBe(false);

    const resumed = await runCliKilling(args('--resume', '--record', join(root, 'resumed.jsonl')), env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(11);
    expect(resumed.stdout).toMatch(
      /customer-journal is gone already \(deleted by an earlier run of this job\)/,
    );
    // No Delete File of the customer journal (file-id 02) went out in the resumed run.
    const sent = readFileSync(join(root, 'resumed.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { dir?: string; hex?: string; step?: string });
    const deletes = sent.filter((e) => e.dir === 'out' && e.hex?.startsWith('0812'));
    expect(deletes.every((e) => !e.hex!.endsWith('1d0102'))).toBe(true);
    expect(deletes.length).toBe(names.length - 2);

    const entries = journalLines(journal);
    expectBackupsBeforeErases(entries, names);
    const cert = JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')) as {
      overall: { result: string };
      steps: { step: string; target?: string; result: string; evidence: Record<string, unknown> }[];
    };
    const erase = cert.steps.find((s) => s.step === 'erase' && s.target === 'customer-journal');
    expect(erase).toMatchObject({ result: 'PASS', evidence: { foundGone: expect.any(String) } });
    expect(
      cert.steps.find((s) => s.step === 'erase-verification' && s.target === 'customer-journal')?.result,
    ).toBe('PASS');
    expect(cert.steps.filter((s) => s.result === 'FAIL')).toEqual([]);
    expect(cert.overall.result).toBe('INCOMPLETE');
    const after = await SimulatedZvtTerminal.create({ seed: SEED, fileScale: 0.02, statePath: state });
    expect(after.snapshot().files.every((f) => f.deleted)).toBe(true);
    await after.close();
  }, 180_000);
});

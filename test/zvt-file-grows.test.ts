import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../agent/exit-codes.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { testPki } from './helpers/job-harness.js';
import { runZvtJob } from './helpers/zvt-job.js';

/**
 * A ZVT terminal reports no digests, so a file is read twice and the two reads must agree. A
 * terminal's event log keeps logging: here it grows by 5000 bytes right after the first full
 * read of it (simulator fault grow=5000). The first read's digest is then of other bytes than
 * the file holds: the file is read twice again at its new size, backed up whole, and only then
 * deleted, never on the strength of a backup of fewer bytes.
 */
const terminals: SimulatedZvtTerminal[] = [];
afterAll(async () => {
  for (const t of terminals) await t.close();
  await (await testPki()).dispose();
});

describe('a ZVT file that grows between its two reads', () => {
  it('is read twice again at its new size, backed up whole, then deleted', async () => {
    const terminal = await SimulatedZvtTerminal.create({ seed: 43, fileScale: 0.02, faults: 'grow=5000' });
    terminals.push(terminal);
    const sizeBefore = terminal.snapshot().files.find((f) => f.name === 'event-log')!.size;
    const run = await runZvtJob(terminal, { options: { reconnectWaitMs: 1000 } });
    const { dir } = run;
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(run.output).toMatch(/event-log changed size between its two reads; reading it twice again/);
    const grown = terminal.snapshot().files.find((f) => f.name === 'event-log')!;
    expect(grown.size).toBe(sizeBefore + 5000);
    expect(grown.deleted).toBe(true);
    // Three full reads at the old size would be 3 x sizeBefore; the backup is of the new size.
    const manifest = JSON.parse(await readFile(join(dir, 'backup', 'manifest.json'), 'utf8')) as {
      stores: {
        name: string;
        size: number;
        status: string;
        terminalSha256: string;
        receivedSha256: string;
      }[];
    };
    const log = manifest.stores.find((s) => s.name === 'event-log')!;
    expect(log).toMatchObject({ size: sizeBefore + 5000, status: 'ok' });
    expect(log.receivedSha256).toBe(log.terminalSha256);
    const journal = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    const digests = journal
      .map((l) => JSON.parse(l) as { data?: { event?: string; store?: string; size?: number } })
      .filter((e) => e.data?.event === 'store-digest' && e.data.store === 'event-log')
      .map((e) => e.data!.size);
    expect(digests).toEqual([sizeBefore, sizeBefore + 5000]);
    const records = run.summary.steps.filter((s) => s.target === 'event-log');
    expect(records.map((s) => [s.step, s.result])).toEqual([
      ['backup', 'PASS'],
      ['erase', 'PASS'],
      ['erase-verification', 'PASS'],
    ]);
  });
});

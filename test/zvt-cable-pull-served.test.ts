import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../agent/exit-codes.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../protocol/zvt/terminal/index.js';
import { testPki, type JobRun } from './helpers/job-harness.js';
import { runZvtJob } from './helpers/zvt-job.js';

/**
 * "Resume after a cable pull mid-Read-File continues the file, nothing read twice", counted by
 * the simulated terminal itself: every byte its Read File blocks carried, per file (a byte sent
 * twice counts twice). A job whose cable is pulled in the middle of a file, and which gets the
 * terminal back, must have made the terminal send exactly what an undisturbed job of the same
 * terminal made it send: not one byte more.
 */
const terminals: SimulatedZvtTerminal[] = [];
afterAll(async () => {
  for (const t of terminals) await t.close();
  await (await testPki()).dispose();
});

async function servedByFile(
  sim: Partial<SimZvtOptions>,
  reconnectWaitMs: number,
  then?: (again: () => Promise<JobRun>) => Promise<void>,
) {
  const terminal = await SimulatedZvtTerminal.create({ seed: 41, fileScale: 0.02, ...sim });
  terminals.push(terminal);
  const dir = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-served-')), 'out');
  const job = (resume: boolean) => runZvtJob(terminal, { dir, options: { reconnectWaitMs, resume } });
  const run = await job(false);
  await then?.(() => job(true));
  const files = terminal.snapshot().files;
  return {
    run,
    files,
    served: Object.fromEntries(files.map((f) => [f.name, f.servedBytes])),
  };
}

describe('a Read File cut by a pulled cable', () => {
  it('goes on where it stopped: the terminal serves no byte more than for a job without the pull', async () => {
    const calm = await servedByFile({}, 1000);
    expect(calm.run.exitCode, calm.run.output).toBe(ExitCode.Incomplete);
    // The cable is pulled after the third block of the merchant journal's first read.
    const pulled = await servedByFile({ faults: 'drop=readfile:3' }, 5000);
    expect(pulled.run.exitCode, pulled.run.output).toBe(ExitCode.Incomplete);
    expect(pulled.run.output).toMatch(/link lost during read merchant-journal/);
    expect(pulled.served).toEqual(calm.served);
    // What an undisturbed job costs, so the equality above says something: each file read twice
    // (the digest read and the backup), plus its first block for the inventory (later listings
    // ask from the size known, and an unchanged file sends no data for them).
    for (const f of pulled.files) {
      expect(f.deleted, f.name).toBe(true);
      expect(f.servedBytes, f.name).toBe(2 * f.size + Math.min(1024, f.size));
    }
  });

  it('after the agent gave up on the link, --resume goes on with the first read where it stopped: not one byte more than a calm job', async () => {
    const calm = await servedByFile({}, 1000);
    let resumed: JobRun | undefined;
    const cut = await servedByFile({ faults: 'drop=readfile:3' }, 0, async (again) => {
      resumed = await again();
    });
    expect(cut.run.exitCode, cut.run.output).toBe(ExitCode.Interrupted);
    expect(resumed!.exitCode, resumed!.output).toBe(ExitCode.Incomplete);
    expect(resumed!.output).toMatch(/continuing the first read of merchant-journal at byte 3072/);
    // The 3 KiB the cut read had were hashed and checkpointed when the run gave up (SHA-256
    // midstate, work/.NN-name.cms.first-read.json): the new process asks for byte 3072 on. Its
    // listings ask each file from the size the journal last saw (TLV 1E), which serves no byte
    // of an unchanged file. The terminal serves exactly what it served a calm job.
    expect(cut.served).toEqual(calm.served);
  });

  it('a cut in the backup read (the second) goes on after --resume where it stopped too: not one byte more than a calm job', async () => {
    const calm = await servedByFile({}, 1000);
    let resumed: JobRun | undefined;
    // The second Read File sequence to get to its third block: the backup of the merchant journal.
    const cut = await servedByFile({ faults: 'drop=readfile:3:2' }, 0, async (again) => {
      resumed = await again();
    });
    expect(cut.run.exitCode, cut.run.output).toBe(ExitCode.Interrupted);
    expect(cut.run.output).toMatch(/link lost during read merchant-journal/);
    expect(resumed!.exitCode, resumed!.output).toBe(ExitCode.Incomplete);
    expect(resumed!.output).toMatch(
      /continuing the backup of merchant-journal: 0 complete part\(s\) kept, up to byte 0 and the 3072 bytes received after it \(sealed\); reading on from byte 3072/,
    );
    // Not one byte more than a calm job: the cut read's bytes were sealed, and the listings ask
    // each file from its known size.
    for (const f of cut.files) expect(f.deleted, f.name).toBe(true);
    expect(cut.served).toEqual(calm.served);
  });
});

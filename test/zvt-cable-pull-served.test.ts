import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../agent/exit-codes.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../protocol/zvt/terminal/index.js';
import { runJob, testPki } from './helpers/job-harness.js';

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

async function servedByFile(sim: Partial<SimZvtOptions>, reconnectWaitMs: number) {
  const terminal = await SimulatedZvtTerminal.create({ seed: 41, fileScale: 0.02, ...sim });
  terminals.push(terminal);
  const who = terminal.workOrderFor();
  const run = await runJob({
    peer: terminal,
    dir: join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-served-')), 'out'),
    terminal: { serial: who.serial, model: who.deviceName, authorityCode: 'unused' },
    workOrderOverrides: { zvt: { password: who.password } },
    options: { protocol: 'zvt', zvt: { timers: { t3Ms: 2000, t4Ms: 3000 } }, reconnectWaitMs },
  });
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
    // (the digest read and the backup), plus its first block for each listing of it.
    for (const f of pulled.files) {
      expect(f.deleted, f.name).toBe(true);
      expect(f.servedBytes, f.name).toBeGreaterThanOrEqual(2 * f.size);
      expect(f.servedBytes, f.name).toBeLessThanOrEqual(2 * f.size + 3 * Math.min(1024, f.size));
    }
  });
});

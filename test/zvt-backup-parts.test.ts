import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../agent/exit-codes.js';
import { ZVT_PART_BYTES } from '../agent/options.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { testPki } from './helpers/job-harness.js';
import { runZvtJob } from './helpers/zvt-job.js';

/**
 * Over ZVT (9600 baud) a backup is cut into 64 KiB parts unless --backup-part-size says
 * otherwise: what a crash mid-read can cost is the partial part, 75 s of reading, not the
 * 80 minutes of the default 4 MiB part.
 */
const terminals: SimulatedZvtTerminal[] = [];
afterAll(async () => {
  for (const t of terminals) await t.close();
  await (await testPki()).dispose();
});

describe('ZVT backups', () => {
  it('are written in 64 KiB parts by default', async () => {
    const terminal = await SimulatedZvtTerminal.create({ seed: 44, fileScale: 0.1 });
    terminals.push(terminal);
    const log = terminal.snapshot().files.find((f) => f.name === 'event-log')!;
    expect(log.size).toBeGreaterThan(2 * ZVT_PART_BYTES);
    const run = await runZvtJob(terminal, { options: { reconnectWaitMs: 1000 } });
    const { dir } = run;
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    const manifest = JSON.parse(await readFile(join(dir, 'backup', 'manifest.json'), 'utf8')) as {
      stores: { name: string; parts: { offset: number; length: number }[] }[];
    };
    const parts = manifest.stores.find((s) => s.name === 'event-log')!.parts;
    expect(parts.length).toBe(Math.ceil(log.size / ZVT_PART_BYTES));
    for (const p of parts.slice(0, -1)) expect(p.length).toBe(ZVT_PART_BYTES);
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(log.size);
  });
});

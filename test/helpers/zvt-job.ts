import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecommissionOptions } from '../../agent/workflow/job-run.js';
import type { SimulatedZvtTerminal } from '../../protocol/zvt/terminal/index.js';
import { runJob, type JobRun } from './job-harness.js';

/** Sequence timers short enough for tests, long enough for a loaded 2-core machine. */
export const ZVT_JOB_TIMERS = { t3Ms: 2000, t4Ms: 3000 } as const;

/**
 * A whole ZVT decommission of a simulated terminal, in-process: the work order names its serial
 * and carries its password, as a technician's would. `dir` is made fresh unless given (a resumed
 * job passes the first one's).
 */
export async function runZvtJob(
  terminal: SimulatedZvtTerminal,
  o: { dir?: string; options?: Partial<Omit<DecommissionOptions, 'reporter'>> } = {},
): Promise<JobRun> {
  const who = terminal.workOrderFor();
  const dir = o.dir ?? join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-job-')), 'out');
  return runJob({
    peer: terminal,
    dir,
    terminal: { serial: who.serial, model: who.deviceName, authorityCode: 'unused' },
    workOrderOverrides: { zvt: { password: who.password } },
    options: { protocol: 'zvt', zvt: { timers: ZVT_JOB_TIMERS }, ...o.options },
  });
}

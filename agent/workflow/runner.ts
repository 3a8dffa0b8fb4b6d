import { connectAndAuthorize } from './connect-terminal.js';
import { showDryRunPlan } from './confirm-plan.js';
import { finishJob, stopOnError } from './finish-job.js';
import type { DecommissionOptions, JobResult } from './job-run.js';
import { openJob, openJournal, openSteps } from './open-job.js';
import { runMachine } from './run-machine.js';

export type { DecommissionOptions, JobResult } from './job-run.js';

/**
 * Runs one terminal's decommission job from preflight to certificate (README: decommission):
 *
 *   open the job -> connect, identify, authorize -> [dry run: show the plan]
 *     -> open or resume the journal -> backup set and step context
 *     -> run the machine (confirm before the first destructive step) -> certify -> finish
 *
 * However it ends, the run is finished the same way: everything closed and a summary returned.
 */
export async function runDecommission(o: DecommissionOptions): Promise<JobResult> {
  const run = await openJob(o);
  try {
    const terminal = await connectAndAuthorize(run);
    if (o.dryRun) return await finishJob(run, await showDryRunPlan(run, terminal));
    const { journal, jobId } = await openJournal(run, terminal);
    const { ctx, backupSet } = await openSteps(run, terminal, journal, jobId);
    return await finishJob(run, await runMachine(run, terminal, ctx, backupSet));
  } catch (err) {
    return await finishJob(run, await stopOnError(run, err));
  }
}

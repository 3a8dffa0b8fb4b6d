import { ExitCode } from '../exit-codes.js';
import type { ConnectedTerminal } from './connect-terminal.js';
import type { JobContext } from './context.js';
import { initialFacts } from './facts.js';
import { inventoryDiscrepancies } from './inventory-checks.js';
import type { JobEnding, JobRun } from './job-run.js';
import { planText } from './plan.js';
import { takeInventory } from './preflight.js';

/** A dry run: the inventory and the plan it leads to, shown and nothing changed. */
export async function showDryRunPlan(run: JobRun, t: ConnectedTerminal): Promise<JobEnding> {
  const o = run.options;
  run.transcript?.setStep('inventory');
  const inventory = await takeInventory(run.conn);
  run.inventory = inventory;
  const policy = { allowUnsettled: o.allowUnsettled, cardDataBackup: o.cardDataBackup ?? 'keep' } as const;
  const facts = initialFacts(inventory, policy, t.driver.capabilities);
  run.facts = facts;
  o.reporter.print(planText(inventory, t.workOrder, policy, facts, t.driver));
  // A real run would stop at these before its first change.
  for (const d of inventoryDiscrepancies(inventory, t.driver.capabilities))
    o.reporter.warn(`inventory: ${d}`);
  o.reporter.info('dry run: nothing was changed');
  return { exitCode: ExitCode.Success };
}

/**
 * Shows the plan and asks the technician before the first destructive step. A "no" stops the
 * job with nothing changed: that ending is returned; undefined means go ahead.
 */
export async function confirmPlan(run: JobRun, ctx: JobContext): Promise<JobEnding | undefined> {
  const o = run.options;
  const policy = { allowUnsettled: ctx.allowUnsettled, cardDataBackup: ctx.cardDataBackup };
  if (await o.confirm(planText(run.inventory!, ctx.workOrder, policy, run.facts!, ctx.driver()))) {
    return undefined;
  }
  ctx.journal.append('stop', { data: { kind: 'declined' } });
  o.reporter.warn('stopped: the technician declined; nothing was changed');
  return { exitCode: ExitCode.Precondition, stopReason: 'declined at the confirmation prompt' };
}

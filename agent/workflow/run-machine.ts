import type { Identity } from '../../protocol/domain.js';
import type { BackupSet } from '../../wipe/backup/backup-set.js';
import { confirmPlan } from './confirm-plan.js';
import type { ConnectedTerminal } from './connect-terminal.js';
import type { JobContext } from './context.js';
import { applyResult, initialFacts } from './facts.js';
import { certifyFinished, certifyStopped } from './finish-job.js';
import { journalInventory } from './job-journal.js';
import { chargeRecords, countsSince, NO_LINK_COUNTS } from './link-counts.js';
import { safRefreshDue, storesAfterForward } from './steps/forward.js';
import type { JobEnding, JobRun } from './job-run.js';
import { nextAction, type Action } from './machine.js';
import { takeInventory } from './preflight.js';
import { isDestructive, journalKey, perform } from './steps/perform.js';

/**
 * Runs the job's state machine to its end: machine.ts decides the next action from the facts,
 * this does the I/O. Every step is journaled as an intent before it runs and as a result after,
 * so a crash between the two is seen on resume.
 */
export async function runMachine(
  run: JobRun,
  t: ConnectedTerminal,
  ctx: JobContext,
  backupSet: BackupSet,
): Promise<JobEnding> {
  let confirmed = run.options.yes;
  const policy = { allowUnsettled: ctx.allowUnsettled, cardDataBackup: ctx.cardDataBackup };
  for (;;) {
    if (run.facts && safRefreshDue(ctx.journal.entries)) await refreshSafStores(run, ctx);
    const action: Action = run.facts ? nextAction(run.facts) : { do: 'inventory' };
    if (action.do === 'inventory') {
      run.transcript?.setStep('inventory');
      run.inventory = await takeInventory(run.conn);
      journalInventory(ctx.journal, run.inventory, countsSince(run.conn.linkCounts(), NO_LINK_COUNTS));
      run.facts = initialFacts(run.inventory, policy, t.driver.capabilities.zeroize);
      continue;
    }
    if (!confirmed && isDestructive(action)) {
      const declined = await confirmPlan(run, ctx);
      if (declined) return declined;
      confirmed = true;
    }
    if (action.do === 'stop') return await certifyStopped(run, ctx, backupSet, action);
    if (action.do === 'certificate' || action.do === 'done')
      return await certifyFinished(run, ctx, backupSet);
    await performStep(run, ctx, backupSet, action);
  }
}

async function performStep(
  run: JobRun,
  ctx: JobContext,
  backupSet: BackupSet,
  action: Action,
): Promise<void> {
  const { journal, log, reporter: r } = ctx;
  const { step, target } = journalKey(action);
  run.transcript?.setStep(target ? `${step}:${target}` : step);
  r.step(target ? `${step}: ${target}` : step);
  journal.append('intent', { step, ...(target ? { target } : {}) });
  log.info({ step, target }, 'step started');
  run.stepCounts = run.conn.linkCounts();
  const outcome = await perform(ctx, action, backupSet);
  const link = countsSince(run.conn.linkCounts(), run.stepCounts);
  chargeRecords(outcome.records, link);
  if (outcome.extra?.identityAfter) run.identityAfter = outcome.extra.identityAfter as Identity;
  journal.append('result', {
    step,
    ...(target ? { target } : {}),
    data: { outcome: outcome.outcome, records: outcome.records },
  });
  log.info(
    { step, target, outcome: outcome.outcome, results: outcome.records.map((x) => x.result), link },
    'step finished',
  );
  applyResult(run.facts!, step, target, outcome.outcome);
}

/** Forwarding rewrote the saf store (SPEC.md s.6.20): its backup must be of what it holds now. */
async function refreshSafStores(run: JobRun, ctx: JobContext): Promise<void> {
  run.transcript?.setStep('inventory');
  run.stepCounts = run.conn.linkCounts();
  run.inventory = { ...run.inventory!, stores: await storesAfterForward(ctx) };
  journalInventory(ctx.journal, run.inventory, countsSince(run.conn.linkCounts(), run.stepCounts));
}

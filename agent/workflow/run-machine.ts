import type { Identity } from '../../protocol/domain.js';
import type { BackupSet } from '../../wipe/backup/backup-set.js';
import { confirmPlan } from './confirm-plan.js';
import type { ConnectedTerminal } from './connect-terminal.js';
import type { JobContext } from './context.js';
import type { JobPolicy } from './facts.js';
import { applyResult, initialFacts } from './facts.js';
import { certifyFinished, certifyStopped } from './finish-job.js';
import { inventoryDiscrepancies, unadvertisedStores } from './inventory-checks.js';
import { journalInventory } from './job-journal.js';
import { chargeRecords, countsSince, NO_LINK_COUNTS } from './link-counts.js';
import { safRefreshDue, storesAfterForward } from './steps/forward.js';
import { takeDropped, type JobEnding, type JobRun } from './job-run.js';
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
      await inventory(run, t, ctx, policy);
      continue;
    }
    if (!confirmed && isDestructive(action)) {
      const declined = await confirmPlan(run, ctx);
      if (declined) return declined;
      confirmed = true;
    }
    if (action.do === 'stop') return await certifyStopped(run, action);
    if (action.do === 'certificate' || action.do === 'done') return await certifyFinished(run);
    await performStep(run, ctx, backupSet, action);
  }
}

/**
 * What the terminal holds, checked against what it announced in HELLO: a discrepancy FAILs the
 * inventory and stops the job before its first change.
 */
async function inventory(
  run: JobRun,
  t: ConnectedTerminal,
  ctx: JobContext,
  policy: JobPolicy,
): Promise<void> {
  run.transcript?.setStep('inventory');
  const startedAt = new Date();
  ctx.journal.append('intent', { step: 'inventory' });
  takeDropped(run);
  // A resumed job knows what the terminal held when the earlier run last looked.
  const inv = await takeInventory(run.conn, ctx.storeList.latest);
  run.inventory = inv;
  const caps = t.driver.capabilities;
  const discrepancies = inventoryDiscrepancies(inv, caps);
  const unadvertised = unadvertisedStores(inv, caps);
  const dropped = takeDropped(run);
  journalInventory(ctx.journal, inv, startedAt, {
    discrepancies,
    extra: {
      ...(unadvertised.length > 0 ? { unadvertisedStores: unadvertised } : {}),
      ...(dropped > 0 ? { terminalFieldsDropped: dropped } : {}),
    },
    // The preflight's counts are in its own records; the inventory is charged from the start.
    link: countsSince(run.conn.linkCounts(), NO_LINK_COUNTS),
  });
  for (const d of discrepancies) ctx.reporter.warn(`inventory: ${d}`);
  run.facts = initialFacts(inv, policy, caps);
  run.facts.anomalies.push(...discrepancies);
  ctx.storeList.start(inv.stores);
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
  takeDropped(run);
  const outcome = await perform(ctx, action, backupSet);
  const link = countsSince(run.conn.linkCounts(), run.stepCounts);
  chargeRecords(outcome.records, link);
  if (outcome.extra?.identityAfter) run.identityAfter = outcome.extra.identityAfter as Identity;
  // Only the count is kept, never what the fields held (they are the terminal's, unchecked).
  const dropped = takeDropped(run);
  const records =
    dropped === 0
      ? outcome.records
      : outcome.records.map((x) => ({ ...x, evidence: { ...x.evidence, terminalFieldsDropped: dropped } }));
  journal.append('result', {
    step,
    ...(target ? { target } : {}),
    data: { outcome: outcome.outcome, records, ...(dropped > 0 ? { terminalFieldsDropped: dropped } : {}) },
  });
  log.info(
    {
      step,
      target,
      outcome: outcome.outcome,
      results: records.map((x) => x.result),
      link,
      ...(dropped > 0 ? { terminalFieldsDropped: dropped } : {}),
    },
    'step finished',
  );
  applyResult(run.facts!, step, target, outcome.outcome);
}

/**
 * Forwarding rewrote the saf store (SPEC.md s.6.20): the store list is read again, and the
 * inventory takes the saf store's new entry, so its backup (and a resumed job's recheck of it)
 * is of what it holds now.
 */
async function refreshSafStores(run: JobRun, ctx: JobContext): Promise<void> {
  run.transcript?.setStep('inventory');
  run.stepCounts = run.conn.linkCounts();
  ctx.journal.append('intent', { step: 'inventory', data: { after: 'FORWARD' } });
  const { stores, discrepancies } = await ctx.storeList.reread('after FORWARD');
  // A contradiction FAILed the inventory already (store-list.ts), and the job stops on it.
  if (discrepancies.length > 0) return;
  run.inventory = { ...run.inventory!, stores: storesAfterForward(run.inventory!.stores, stores) };
  journalInventory(ctx.journal, run.inventory, new Date(), {
    link: countsSince(run.conn.linkCounts(), run.stepCounts),
  });
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPosdecomError } from '../../protocol/errors.js';
import type { Identity } from '../../protocol/domain.js';
import type { PortSettings } from '../../protocol/transport/port-spec.js';
import type { SessionOptions } from '../../protocol/line/session/session.js';
import { BackupSet } from '../../wipe/backup/backup-set.js';
import { loadRecipient } from '../../wipe/cms/encrypt.js';
import type { Signer } from '../../wipe/certificate/sign.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { Journal } from '../journal.js';
import { AUDIT_LOG, openAuditLog, silentLog, type AuditLog } from '../log.js';
import type { Reporter } from '../reporter.js';
import { Transcript } from '../transcript/transcript.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { authorityCode, type WorkOrder } from '../work-order.js';
import { certify } from './certify.js';
import { Connection } from './connection.js';
import type { Inventory, JobContext } from './context.js';
import { applyResult, factsFromJournal, initialFacts } from './facts.js';
import { nextAction, type Action, type JobFacts } from './machine.js';
import { planText } from './plan.js';
import { checkIdentity, takeInventory, reverify } from './preflight.js';
import { exitForFacts, isDestructive, journalKey, perform } from './steps/perform.js';
import { prepareJobDir } from './job-dir.js';
import { journalInventory, journalPreflight, startJob } from './job-journal.js';
import { summarize, type JobSummary } from './summary.js';

export interface DecommissionOptions {
  port: string;
  settings: PortSettings;
  dir: string;
  workOrders: WorkOrder[];
  resume: boolean;
  dryRun: boolean;
  yes: boolean;
  allowUnsettled: boolean;
  recipientPath: string;
  signer: Signer;
  record?: string;
  session?: Partial<SessionOptions>;
  reconnectWaitMs: number;
  reporter: Reporter;
  /** Asks the technician to go ahead; false stops before anything changes. */
  confirm: (plan: string) => Promise<boolean>;
}

export interface JobResult {
  exitCode: number;
  summary: JobSummary;
}

/** Runs one terminal's decommission job from preflight to certificate (README: decommission). */
export async function runDecommission(o: DecommissionOptions): Promise<JobResult> {
  const started = Date.now();
  const r = o.reporter;
  prepareJobDir(o.dir, o.resume, o.dryRun);
  // Everything that can be checked without the terminal is checked before it is touched.
  const recipient = await loadRecipient(o.recipientPath);
  const audit: AuditLog = o.dryRun ? { log: silentLog(), close: () => undefined } : openAuditLog(o.dir);
  const log = audit.log;
  const transcript = o.record
    ? new Transcript(o.record, {
        command: 'decommission',
        port: o.port,
        settings: o.settings,
        ...(o.session ? { session: o.session } : {}),
        options: {
          resume: o.resume,
          dryRun: o.dryRun,
          allowUnsettled: o.allowUnsettled,
          reconnectWaitMs: o.reconnectWaitMs,
        },
        workOrders: o.workOrders,
      })
    : undefined;
  let journal: Journal | undefined;
  let inventory: Inventory | undefined;
  let workOrder: WorkOrder | undefined;
  let facts: JobFacts | undefined;
  let identityAfter: Identity | undefined;
  let certificateResult: Awaited<ReturnType<typeof certify>> | undefined;
  const conn = new Connection({
    port: o.port,
    settings: o.settings,
    ...(o.session ? { session: o.session } : {}),
    reconnectWaitMs: o.reconnectWaitMs,
    reporter: r,
    ...(transcript ? { transcript } : {}),
    onTamper: (detail) => {
      r.warn(`the terminal reports tampering: ${detail || 'no detail'}`);
      log.warn({ detail }, 'tamper event');
      journal?.append('note', { data: { event: 'tamper', detail } });
    },
    onLinkLost: (what, err) => {
      log.warn({ during: what, error: err.message }, 'link lost');
      journal?.append('note', { data: { event: 'link-lost', during: what, error: err.message } });
    },
  });

  const finish = async (exitCode: number, stopReason?: string): Promise<JobResult> => {
    await conn.close();
    transcript?.close();
    audit.close();
    journal?.close();
    const summary = summarize({
      port: o.port,
      dir: o.dir,
      workOrder,
      inventory,
      facts,
      entries: journal?.entries ?? [],
      certificate: certificateResult?.certificate,
      exitCode,
      stopReason,
      durationMs: Date.now() - started,
    });
    return { exitCode, summary };
  };

  try {
    r.step(`connecting to ${o.port}`);
    const driver = await conn.open();
    transcript?.setStep('identify');
    const identity = await driver.identify();
    transcript?.noteIdentity({ ...identity });
    const previous = o.resume ? Journal.read(join(o.dir, 'journal.jsonl')) : [];
    workOrder = checkIdentity(identity, o.workOrders, previous, o.resume);
    r.info(
      `terminal ${identity.vendor} ${identity.model}, serial ${identity.serial}, firmware ${identity.firmware}`,
    );
    log.info({ identity, workOrder: workOrder.id }, 'identified');
    const code = authorityCode(workOrder);
    const authStarted = new Date();
    if (!o.dryRun) {
      transcript?.setStep('authorize');
      await driver.authorize(identity.serial, code);
      r.info(`authorized (authority ${workOrder.authority.reference})`);
    }
    conn.pin(identity, o.dryRun ? undefined : code);

    if (o.dryRun) {
      transcript?.setStep('inventory');
      inventory = await takeInventory(conn);
      facts = initialFacts(inventory, o.allowUnsettled, driver.capabilities.zeroize);
      r.print(planText(inventory, workOrder, o.allowUnsettled, facts));
      r.info('dry run: nothing was changed');
      return await finish(ExitCode.Success);
    }

    const ctxBase = { jobId: '', workOrder };
    if (o.resume) {
      journal = Journal.open(o.dir);
      const rebuilt = factsFromJournal(journal.entries, driver.capabilities.zeroize);
      ctxBase.jobId = String(journal.entries.find((e) => e.type === 'job')?.data?.jobId ?? '');
      journal.append('resume', { data: { identity } });
      // A crash right after the job entry leaves these unrecorded; this run has just done both.
      const entries = journal.entries;
      journalPreflight(
        journal,
        identity,
        workOrder,
        authStarted,
        (step) => !entries.some((e) => e.type === 'result' && e.step === step),
      );
      if (rebuilt) {
        inventory = rebuilt.inventory;
        facts = rebuilt.facts;
        transcript?.setStep('reverify');
        await reverify(conn, facts, inventory, r, journal);
      }
    } else {
      ({ journal, jobId: ctxBase.jobId } = startJob(o.dir, {
        workOrder,
        identity,
        port: o.port,
        allowUnsettled: o.allowUnsettled,
        protocol: driver.protocol,
        at: authStarted,
      }));
    }

    const backupSet = await BackupSet.open(
      join(o.dir, 'backup'),
      identity,
      recipient,
      { name: TOOL_NAME, version: TOOL_VERSION },
      o.resume,
    );
    const ctx: JobContext = {
      jobId: ctxBase.jobId,
      dir: o.dir,
      backupDir: backupSet.dir,
      workDir: join(o.dir, 'work'),
      workOrder,
      allowUnsettled:
        o.allowUnsettled || journal.entries.some((e) => e.type === 'job' && e.data?.allowUnsettled === true),
      recipient,
      signer: o.signer,
      journal,
      log,
      reporter: r,
      driver: () => conn.driver(),
      withLink: (what, op) => conn.withLink(what, op),
      readStore: (store, from, size, sink) => conn.readStore(store, from, size, sink),
      inventory: () => inventory!,
      opId: (step, target) =>
        `${ctxBase.jobId.slice(0, 8)}:${step}${target ? `:${target.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 32)}` : ''}`,
    };
    mkdirSync(ctx.workDir, { recursive: true, mode: 0o700 });

    let confirmed = o.yes;
    for (;;) {
      const action: Action = facts ? nextAction(facts) : { do: 'inventory' };
      if (action.do === 'inventory') {
        transcript?.setStep('inventory');
        inventory = await takeInventory(conn);
        journalInventory(journal, inventory);
        facts = initialFacts(inventory, ctx.allowUnsettled, driver.capabilities.zeroize);
        continue;
      }
      if (!confirmed && isDestructive(action)) {
        if (!(await o.confirm(planText(inventory!, workOrder, ctx.allowUnsettled, facts!)))) {
          journal.append('stop', { data: { kind: 'declined' } });
          r.warn('stopped: the technician declined; nothing was changed');
          return await finish(ExitCode.Precondition, 'declined at the confirmation prompt');
        }
        confirmed = true;
      }
      if (action.do === 'stop') {
        journal.append('stop', { data: { kind: action.kind, reason: action.reason } });
        r.error(`stopped: ${action.reason}`);
        log.warn({ kind: action.kind }, action.reason);
        transcript?.setStep('certificate');
        identityAfter = await conn.withLink('identify', (d) => d.identify()).catch(() => undefined);
        certificateResult = await issue(false);
        return await finish(
          action.kind === 'backup' ? ExitCode.BackupFailed : ExitCode.Precondition,
          action.reason,
        );
      }
      if (action.do === 'certificate' || action.do === 'done') {
        transcript?.setStep('certificate');
        identityAfter = await conn.withLink('identify', (d) => d.identify()).catch(() => identityAfter);
        // The certificate must not describe another terminal than the one that was erased.
        if (identityAfter) conn.checkSameTerminal(identityAfter, 'at the end of the job');
        certificateResult = await issue(true);
        return await finish(exitForFacts(facts!, certificateResult.certificate.overall.result));
      }
      const { step, target } = journalKey(action);
      transcript?.setStep(target ? `${step}:${target}` : step);
      r.step(target ? `${step}: ${target}` : step);
      journal.append('intent', { step, ...(target ? { target } : {}) });
      log.info({ step, target }, 'step started');
      const outcome = await perform(ctx, action, backupSet);
      if (outcome.extra?.identityAfter) identityAfter = outcome.extra.identityAfter as Identity;
      journal.append('result', {
        step,
        ...(target ? { target } : {}),
        data: { outcome: outcome.outcome, records: outcome.records },
      });
      log.info(
        { step, target, outcome: outcome.outcome, results: outcome.records.map((x) => x.result) },
        'step finished',
      );
      applyResult(facts!, step, target, outcome.outcome);
    }

    async function issue(final: boolean) {
      r.step('certificate');
      journal!.append('intent', { step: 'certificate', data: { final } });
      log.info({ final }, 'issuing certificate; audit log closes here');
      transcript?.close();
      audit.close();
      const result = await certify({
        dir: o.dir,
        entries: journal!.entries,
        inventory: inventory!,
        workOrder: workOrder!,
        signer: o.signer,
        identityAfter,
        manifestSha256: backupSet.manifestSha256,
        journalPath: journal!.path,
        auditLogPath: join(o.dir, AUDIT_LOG),
        transcriptPath: o.record,
      });
      r.info(`certificate ${result.certificate.certificateId}: overall ${result.certificate.overall.result}`);
      return result;
    }
  } catch (err) {
    const exitCode = exitCodeFor(err);
    const message = describeError(err);
    log.error({ code: isPosdecomError(err) ? err.code : undefined }, message);
    if (journal) {
      journal.append('stop', {
        data: { kind: exitCode === ExitCode.Interrupted ? 'interrupted' : 'error', error: message },
      });
    }
    r.error(message);
    return await finish(exitCode, message);
  }
}

import { join } from 'node:path';
import { BackupSet } from '../../wipe/backup/backup-set.js';
import { loadRecipient } from '../../wipe/cms/encrypt.js';
import { onInterrupt } from '../interrupt.js';
import { lockJobDir, type JobLock } from '../job-lock.js';
import { Journal } from '../journal.js';
import { openAuditLog, silentLog, type AuditLog } from '../log.js';
import { Transcript } from '../transcript/transcript.js';
import { ZVT_PROTOCOL } from '../../protocol/zvt/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { Connection } from './connection.js';
import type { ConnectedTerminal } from './connect-terminal.js';
import type { JobContext } from './context.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { factsFromJournal, policyOf, type JobPolicy } from './facts.js';
import type { CardDataBackup } from './machine.js';
import { prepareJobDir, sameRecipientAsJournal } from './job-dir.js';
import { journalAttestations } from './attestations.js';
import { journalPreflight, startJob, type PreflightEvidence } from './job-journal.js';
import { takeDropped, type DecommissionOptions, type JobRun } from './job-run.js';
import { reverify } from './preflight.js';
import { recheckBackups } from './recheck-backups.js';
import { stepContext } from './step-context.js';

/**
 * Opens what a job needs before the terminal is touched: its directory, the backup recipient,
 * the audit log, the transcript, and the connection whose tamper and link-lost reports go to the
 * journal once there is one.
 */
export async function openJob(o: DecommissionOptions): Promise<JobRun> {
  const started = Date.now();
  prepareJobDir(o.dir, o.resume, o.dryRun);
  // Everything that can be checked without the terminal is checked before it is touched.
  const recipient = await loadRecipient(o.recipientPath);
  if (o.resume) sameRecipientAsJournal(o.dir, recipient.sha256Fingerprint);
  // One process per DIR, checked before anything in it is written and before the port is opened.
  const lock = o.dryRun ? undefined : lockJobDir(o.dir, 'decommission');
  try {
    return openRun(o, started, recipient, lock);
  } catch (err) {
    lock?.release();
    throw err;
  }
}

function openRun(
  o: DecommissionOptions,
  started: number,
  recipient: JobRun['recipient'],
  lock: JobLock | undefined,
): JobRun {
  const r = o.reporter;
  const audit: AuditLog = o.dryRun ? { log: silentLog(), close: () => undefined } : openAuditLog(o.dir);
  const log = audit.log;
  const transcript = o.record
    ? new Transcript(o.record, {
        command: 'decommission',
        port: o.port,
        settings: o.settings,
        ...(o.protocol === 'zvt' ? { protocol: ZVT_PROTOCOL } : {}),
        ...(o.session ? { session: o.session } : {}),
        options: {
          resume: o.resume,
          dryRun: o.dryRun,
          allowUnsettled: o.allowUnsettled,
          ...(o.cardDataBackup ? { cardDataBackup: o.cardDataBackup } : {}),
          reconnectWaitMs: o.reconnectWaitMs,
          ...(o.attestations?.length
            ? {
                attested: o.attestations.map((a) => ({
                  step: a.step,
                  ...(a.target ? { target: a.target } : {}),
                })),
              }
            : {}),
        },
        workOrders: o.workOrders,
      })
    : undefined;
  const conn = new Connection({
    port: o.port,
    settings: o.settings,
    protocol: o.protocol ?? 'line',
    ...(o.session ? { session: o.session } : {}),
    ...(o.zvt ? { zvt: o.zvt } : {}),
    reconnectWaitMs: o.reconnectWaitMs,
    reporter: r,
    ...(transcript ? { transcript } : {}),
    onTamper: (detail) => {
      r.warn(`the terminal reports tampering: ${detail || 'no detail'}`);
      log.warn({ detail }, 'tamper event');
      run.journal?.append('note', { data: { event: 'tamper', detail } });
    },
    onLinkLost: (what, err) => {
      log.warn({ during: what, error: err.message }, 'link lost');
      run.journal?.append('note', { data: { event: 'link-lost', during: what, error: err.message } });
    },
    // Only the count leaves here: the fields themselves (names included) are the terminal's.
    onFieldsDropped: (type, count) => run.fieldsDropped.set(type, (run.fieldsDropped.get(type) ?? 0) + count),
  });
  const run: JobRun = {
    options: o,
    started,
    recipient,
    audit,
    transcript,
    conn,
    fieldsDropped: new Map(),
    ...(lock ? { lock } : {}),
  };
  run.unregister = onInterrupt({
    journal: () => run.journal,
    close: () => conn.close(),
    release: () => run.lock?.release(),
  });
  return run;
}

/**
 * The job's journal: a new job's first entries, or a resumed job's, whose facts are rebuilt
 * from it and checked again against the terminal.
 */
export async function openJournal(
  run: JobRun,
  t: ConnectedTerminal,
): Promise<{ journal: Journal; jobId: string }> {
  const o = run.options;
  const noteLock = (journal: Journal) => {
    const t = run.lock?.tookOver;
    if (t) journal.append('note', { data: { event: 'stale-lock-taken-over', holder: t } });
  };
  const preflightLink = run.conn.linkCounts();
  if (!o.resume) {
    const started = startJob(o.dir, {
      workOrder: t.workOrder,
      identity: t.identity,
      port: o.port,
      allowUnsettled: o.allowUnsettled,
      recipientSha256: run.recipient.sha256Fingerprint,
      cardDataBackup: o.cardDataBackup ?? 'keep',
      protocol: t.driver.protocol,
      at: t.authStarted,
      link: preflightLink,
      fieldsDropped: takeDropped(run),
      how: preflightEvidence(t),
    });
    run.journal = started.journal;
    noteLock(started.journal);
    await journalAttestations(started.journal, o.dir, attestationsOf(run, t));
    return started;
  }
  const journal = Journal.open(o.dir);
  run.journal = journal;
  noteLock(journal);
  checkSamePolicy(policyOf(journal.entries), o.cardDataBackup);
  const rebuilt = factsFromJournal(journal.entries, t.driver.capabilities);
  const jobId = String(journal.entries.find((e) => e.type === 'job')?.data?.jobId ?? '');
  journal.append('resume', { data: { identity: t.identity } });
  await journalAttestations(journal, o.dir, attestationsOf(run, t));
  // A crash right after the job entry leaves these unrecorded; this run has just done both.
  const entries = journal.entries;
  journalPreflight(
    journal,
    t.identity,
    t.workOrder,
    t.authStarted,
    (step) => !entries.some((e) => e.type === 'result' && e.step === step),
    { link: preflightLink, fieldsDropped: takeDropped(run) },
    preflightEvidence(t),
  );
  if (rebuilt) {
    run.inventory = rebuilt.inventory;
    run.facts = rebuilt.facts;
  }
  return { journal, jobId };
}

/** The --attest entries for this terminal: those naming its serial, or none. */
function attestationsOf(run: JobRun, t: ConnectedTerminal) {
  return (run.options.attestations ?? []).filter(
    (a) => a.serial === undefined || a.serial === t.identity.serial,
  );
}

function preflightEvidence(t: ConnectedTerminal): PreflightEvidence {
  return {
    identifiedBy: t.driver.capabilities.measures.identify,
    ...(t.auth ? { auth: t.auth } : {}),
    ...(t.identityEvidence ? { identityEvidence: t.identityEvidence } : {}),
  };
}

/** The backup set (resumed with the job) and the context every step runs with. */
export async function openSteps(
  run: JobRun,
  t: ConnectedTerminal,
  journal: Journal,
  jobId: string,
): Promise<{ ctx: JobContext; backupSet: BackupSet }> {
  const o = run.options;
  const backupSet = await BackupSet.open(
    join(o.dir, 'backup'),
    t.identity,
    run.recipient,
    { name: TOOL_NAME, version: TOOL_VERSION },
    o.resume,
  );
  for (const l of backupSet.removed)
    journal.append('note', { data: { event: 'leftover-removed', file: `backup/${l.file}`, why: l.why } });
  if (run.facts && run.inventory)
    await recheckBackups(run.facts, run.inventory, backupSet, journal, o.reporter);
  // The journal's job entry holds the policy the job started with; --resume keeps it.
  const journaled = policyOf(journal.entries);
  const policy: JobPolicy = {
    allowUnsettled: o.allowUnsettled || journaled.allowUnsettled,
    cardDataBackup: journaled.cardDataBackup,
  };
  run.policy = policy;
  const ctx = await stepContext(run, t, journal, jobId, backupSet, policy);
  run.ctx = ctx;
  run.backupSet = backupSet;
  if (o.resume && run.facts && run.inventory) {
    run.transcript?.setStep('reverify');
    await reverify(ctx, run.facts, run.inventory);
  }
  return { ctx, backupSet };
}

/** --resume keeps the card-data policy the job started with; asking for another is a usage error. */
function checkSamePolicy(journaled: JobPolicy, asked: CardDataBackup | undefined): void {
  if (asked !== undefined && asked !== journaled.cardDataBackup) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `this job was started with --card-data-backup ${journaled.cardDataBackup}; resume it with the same choice`,
    );
  }
}

import { join } from 'node:path';
import { isPosdecomError } from '../../protocol/errors.js';
import type { BackupSet } from '../../wipe/backup/backup-set.js';
import { deleteFingerprintFiles, fingerprintFiles } from '../../wipe/erasure/fingerprints.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { AUDIT_LOG } from '../log.js';
import { certify } from './certify.js';
import type { JobContext } from './context.js';
import type { JobEnding, JobResult, JobRun } from './job-run.js';
import type { Action } from './machine.js';
import { countsSince, NO_LINK_COUNTS } from './link-counts.js';
import { exitForFacts } from './steps/perform.js';
import { summarize } from './summary.js';

/**
 * How a job ends. The machine's last action is certified (final or not), an error is journaled
 * as the stop, and either way finishJob closes what the run opened and writes the summary.
 */

/** The machine stopped short: the reason is journaled and a non-final certificate says what was done. */
export async function certifyStopped(
  run: JobRun,
  ctx: JobContext,
  backupSet: BackupSet,
  action: Extract<Action, { do: 'stop' }>,
): Promise<JobEnding> {
  ctx.journal.append('stop', { data: { kind: action.kind, reason: action.reason } });
  ctx.reporter.error(`stopped: ${action.reason}`);
  ctx.log.warn({ kind: action.kind }, action.reason);
  run.transcript?.setStep('certificate');
  run.identityAfter = await run.conn.withLink('identify', (d) => d.identify()).catch(() => undefined);
  run.certified = await issueCertificate(run, ctx, backupSet, false);
  return {
    exitCode: action.kind === 'backup' ? ExitCode.BackupFailed : ExitCode.Precondition,
    stopReason: action.reason,
  };
}

/** Every step ran: the final certificate, for the terminal that was erased and no other. */
export async function certifyFinished(
  run: JobRun,
  ctx: JobContext,
  backupSet: BackupSet,
): Promise<JobEnding> {
  run.transcript?.setStep('certificate');
  run.identityAfter = await run.conn.withLink('identify', (d) => d.identify()).catch(() => run.identityAfter);
  // The certificate must not describe another terminal than the one that was erased.
  if (run.identityAfter) run.conn.checkSameTerminal(run.identityAfter, 'at the end of the job');
  run.certified = await issueCertificate(run, ctx, backupSet, true);
  return { exitCode: exitForFacts(run.facts!, run.certified.certificate.overall.result) };
}

async function issueCertificate(run: JobRun, ctx: JobContext, backupSet: BackupSet, final: boolean) {
  const o = run.options;
  const journal = ctx.journal;
  o.reporter.step('certificate');
  // The journal is bound into the certificate and closed before it, so the deletion that follows
  // the certificate is journaled here, ahead of it.
  const prints = await fingerprintFiles(ctx.workDir);
  if (prints.length > 0)
    journal.append('note', {
      data: {
        event: 'fingerprints-deleted',
        files: prints.map((n) => `work/${n}`),
        when: 'once the certificate is written',
      },
    });
  journal.append('intent', { step: 'certificate', data: { final } });
  ctx.log.info({ link: run.conn.linkCounts() }, 'link totals for the job');
  ctx.log.info({ final }, 'issuing certificate; audit log closes here');
  run.transcript?.close();
  run.audit.close();
  const result = await certify({
    dir: o.dir,
    port: o.port,
    entries: journal.entries,
    inventory: run.inventory!,
    workOrder: run.workOrder!,
    signer: o.signer,
    identityAfter: run.identityAfter,
    manifestSha256: backupSet.manifestSha256,
    journalPath: journal.path,
    auditLogPath: join(o.dir, AUDIT_LOG),
    transcriptPath: o.record,
  });
  await deleteFingerprintFiles(ctx.workDir, prints);
  o.reporter.info(
    `certificate ${result.certificate.certificateId}: overall ${result.certificate.overall.result}`,
  );
  return result;
}

/** Whatever went wrong, the journal and the technician are told why the job stopped. */
export function stopOnError(run: JobRun, err: unknown): JobEnding {
  const exitCode = exitCodeFor(err);
  const message = describeError(err);
  // What the link dropped is charged to the step that was running when the job stopped.
  const link = countsSince(run.conn.linkCounts(), run.stepCounts ?? NO_LINK_COUNTS);
  run.audit.log.error({ code: isPosdecomError(err) ? err.code : undefined, link }, message);
  if (run.journal) {
    run.journal.append('stop', {
      data: { kind: exitCode === ExitCode.Interrupted ? 'interrupted' : 'error', error: message, link },
    });
  }
  run.options.reporter.error(message);
  return { exitCode, stopReason: message };
}

/** Closes everything the run opened and sums up what it got to, however it ended. */
export async function finishJob(run: JobRun, { exitCode, stopReason }: JobEnding): Promise<JobResult> {
  await run.conn.close();
  run.transcript?.close();
  run.audit.close();
  run.journal?.close();
  run.lock?.release();
  run.unregister?.();
  const summary = summarize({
    port: run.options.port,
    dir: run.options.dir,
    workOrder: run.workOrder,
    inventory: run.inventory,
    facts: run.facts,
    entries: run.journal?.entries ?? [],
    certificate: run.certified?.certificate,
    exitCode,
    stopReason,
    durationMs: Date.now() - run.started,
  });
  return { exitCode, summary };
}

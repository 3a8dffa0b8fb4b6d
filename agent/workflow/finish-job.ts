import { join } from 'node:path';
import { ErrorCode, isPosdecomError } from '../../protocol/errors.js';
import { deleteFingerprintFiles, fingerprintFiles } from '../../wipe/erasure/fingerprints.js';
import { deleteSketchFiles, sketchFiles } from '../../wipe/erasure/sketch-file.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { AUDIT_LOG } from '../log.js';
import { certify, type CertifyInput } from './certify.js';
import type { JobEnding, JobResult, JobRun } from './job-run.js';
import type { Action } from './machine.js';
import { countsSince, NO_LINK_COUNTS } from './link-counts.js';
import { exitForFacts } from './steps/perform.js';
import { unfinishedStep } from './unfinished-step.js';
import { summarize } from './summary.js';

/**
 * How a job ends. The machine's last action is certified (final or not); an error is journaled
 * as the stop, and a job that had begun erasing is certified even then; either way finishJob
 * closes what the run opened and writes the summary.
 */

/** The machine stopped short: the reason is journaled and a non-final certificate says what was done. */
export async function certifyStopped(
  run: JobRun,
  action: Extract<Action, { do: 'stop' }>,
): Promise<JobEnding> {
  const ctx = run.ctx!;
  ctx.journal.append('stop', { data: { kind: action.kind, reason: action.reason } });
  ctx.reporter.error(`stopped: ${action.reason}`);
  ctx.log.warn({ kind: action.kind }, action.reason);
  run.transcript?.setStep('certificate');
  run.identityAfter = await run.conn.withLink('identify', (d) => d.identify()).catch(() => undefined);
  run.certified = await issueCertificate(run, false);
  return {
    exitCode: action.kind === 'backup' ? ExitCode.BackupFailed : ExitCode.Precondition,
    stopReason: action.reason,
  };
}

/** Every step ran: the final certificate, for the terminal that was erased and no other. */
export async function certifyFinished(run: JobRun): Promise<JobEnding> {
  run.transcript?.setStep('certificate');
  run.identityAfter = await run.conn.withLink('identify', (d) => d.identify()).catch(() => run.identityAfter);
  // The certificate must not describe another terminal than the one that was erased.
  if (run.identityAfter) run.conn.checkSameTerminal(run.identityAfter, 'at the end of the job');
  run.certified = await issueCertificate(run, true);
  return { exitCode: exitForFacts(run.facts!, run.certified.certificate.overall.result) };
}

/**
 * The certificate, and the journal's last line: the certificate step's result (its id and
 * overall result), written before the journal, audit log and transcript are closed for good and
 * bound into the certificate by digest.
 */
async function issueCertificate(run: JobRun, final: boolean) {
  const o = run.options;
  const journal = run.journal!;
  const workDir = join(o.dir, 'work');
  o.reporter.step('certificate');
  // The journal is bound into the certificate and closed before it, so the deletion that follows
  // the certificate is journaled here, ahead of it. (A resumed job makes them again if it needs.)
  const prints = await fingerprintFiles(workDir);
  const sketches = await sketchFiles(workDir);
  if (prints.length + sketches.length > 0)
    journal.append('note', {
      data: {
        event: 'fingerprints-deleted',
        files: [...prints, ...sketches].map((n) => `work/${n}`),
        when: 'once the certificate is written',
      },
    });
  journal.append('intent', { step: 'certificate', data: { final } });
  run.audit.log.info({ link: run.conn.linkCounts() }, 'link totals for the job');
  run.audit.log.info({ final }, 'issuing certificate; audit log closes here');
  let sealedId: string | undefined;
  const input: CertifyInput = {
    dir: o.dir,
    port: o.port,
    entries: journal.entries,
    inventory: run.inventory!,
    workOrder: run.workOrder!,
    signer: o.signer,
    identityAfter: run.identityAfter,
    manifestSha256: run.backupSet?.manifestSha256 ?? null,
    journalPath: journal.path,
    auditLogPath: join(o.dir, AUDIT_LOG),
    transcriptPath: o.record,
    seal: (draft) => {
      run.audit.log.info(
        { certificateId: draft.certificateId, overall: draft.overall.result },
        'certificate issued',
      );
      journal.append('result', {
        step: 'certificate',
        data: {
          outcome: 'issued',
          final,
          certificateId: draft.certificateId,
          overall: draft.overall.result,
          records: [],
        },
      });
      run.transcript?.close();
      run.audit.close();
      journal.close();
      sealedId = draft.certificateId;
    },
  };
  const result = await certify(input).catch(async (err: unknown) => {
    // Sealed: the journal ends on this certificate's result and is bound as it is. Writing the
    // files failed after that (disk, signing): once more, from the same entries, under the id
    // the journal names. Before the seal nothing was closed, and the error goes up as it is.
    if (sealedId === undefined) throw err;
    o.reporter.warn(`the certificate could not be written (${describeError(err)}); writing it again`);
    const { seal: _sealed, ...again } = input;
    return certify({ ...again, certificateId: sealedId });
  });
  await deleteFingerprintFiles(workDir, prints);
  await deleteSketchFiles(workDir, sketches);
  o.reporter.info(
    `certificate ${result.certificate.certificateId}: overall ${result.certificate.overall.result}`,
  );
  return result;
}

/**
 * Whatever went wrong, the journal and the technician are told why the job stopped. A job that
 * had sent any ERASE ends with a certificate even so, certified from its journal: the step that
 * was running is UNKNOWN (its end was never measured), and the exit code is that step's. A lost
 * link is not such an end: `--resume` completes that job.
 */
export async function stopOnError(run: JobRun, err: unknown): Promise<JobEnding> {
  let exitCode: number = exitCodeFor(err);
  const message = describeError(err);
  // What the link dropped is charged to the step that was running when the job stopped.
  const link = countsSince(run.conn.linkCounts(), run.stepCounts ?? NO_LINK_COUNTS);
  run.audit.log.error({ code: isPosdecomError(err) ? err.code : undefined, link }, message);
  const journal = run.journal?.closed ? undefined : run.journal;
  if (journal) {
    journal.append('stop', {
      data: { kind: exitCode === ExitCode.Interrupted ? 'interrupted' : 'error', error: message, link },
    });
  }
  run.options.reporter.error(message);
  const erasing = journal?.entries.some((e) => e.type === 'intent' && e.step === 'erase') ?? false;
  if (!journal || !erasing || exitCode === ExitCode.Interrupted || run.certified || !run.inventory) {
    return { exitCode, stopReason: message };
  }
  const open = unfinishedStep(journal, message);
  if (exitCode === ExitCode.Internal || !isPosdecomError(err) || err.code === ErrorCode.SessionClosed) {
    exitCode = open?.exitCode ?? exitCode;
  }
  try {
    run.transcript?.setStep('certificate');
    run.certified = await issueCertificate(run, false);
  } catch (certErr) {
    run.options.reporter.error(`no certificate could be written: ${describeError(certErr)}`);
  }
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

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreInfo } from '../../protocol/domain.js';
import type { BackupSet } from '../../wipe/backup/backup-set.js';
import { FingerprintKey } from '../../wipe/erasure/fingerprints.js';
import { deriveSketcher } from '../../wipe/erasure/sketch-file.js';
import type { Journal } from '../journal.js';
import { defaultPartBytes } from '../options.js';
import { credentialFor } from '../work-order.js';
import { isAttested } from './attestations.js';
import type { ConnectedTerminal } from './connect-terminal.js';
import type { JobContext } from './context.js';
import type { JobPolicy } from './facts.js';
import { journalStoreDiscrepancies } from './job-journal.js';
import type { JobRun } from './job-run.js';
import { readStatus } from './status-watch.js';
import { StoreList } from './store-list.js';

/**
 * The context every step runs with: the job's files, keys and policy (as its journal's first
 * entry holds it), the link, and the readings steps hold each other's answers against (the
 * store list, STATUS). The fingerprint and sketch keys are
 * derived again by every run from the authority code and the job id (never written).
 */
export async function stepContext(
  run: JobRun,
  t: ConnectedTerminal,
  journal: Journal,
  jobId: string,
  backupSet: BackupSet,
  policy: JobPolicy,
): Promise<JobContext> {
  const { options: o, conn } = run;
  // Keyed by what every run of the job holds to authorize: the authority code, or the ZVT password.
  const code = credentialFor(t.workOrder, run.options.protocol ?? 'line');
  const [fingerprintKey, sketcher] = await Promise.all([
    FingerprintKey.derive(code, jobId),
    deriveSketcher(code, jobId),
  ]);
  const workDir = join(o.dir, 'work');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const ctx: JobContext = {
    jobId,
    dir: o.dir,
    backupDir: backupSet.dir,
    workDir,
    workOrder: t.workOrder,
    allowUnsettled: policy.allowUnsettled,
    cardDataBackup: policy.cardDataBackup,
    recipient: run.recipient,
    signer: o.signer,
    fingerprintKey,
    sketcher,
    ...(o.partBytes ? { partBytes: o.partBytes } : partBytesFor(o.protocol)),
    journal,
    log: run.audit.log,
    reporter: o.reporter,
    driver: () => conn.driver(),
    withLink: (what, op) => conn.withLink(what, op),
    readStore: (store, from, size, sink) => conn.readStore(store, from, size, sink),
    inventory: () => run.inventory!,
    attested: (step, target) => isAttested(journal.entries, step, target),
    status: (when) => readStatus(run, when),
    storeList: undefined as unknown as StoreList,
    opId: (step, target) =>
      `${jobId.slice(0, 8)}:${step}${target ? `:${target.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 32)}` : ''}`,
  };
  ctx.storeList = StoreList.fromJournal(
    {
      journal,
      withLink: ctx.withLink,
      onDiscrepancies: (found, after, stores) => noteDiscrepancies(run, found, after, stores),
    },
    journal.entries,
    run.inventory?.stores ?? [],
  );
  return ctx;
}

/** The terminal contradicted its own store list: the inventory FAILs, and the job stops. */
function noteDiscrepancies(run: JobRun, found: string[], after: string, stores: StoreInfo[]): void {
  const earlier = run.facts?.anomalies ?? [];
  journalStoreDiscrepancies(run.journal!, run.inventory!, earlier, found, after, stores);
  run.facts?.anomalies.push(...found);
  run.audit.log.warn({ after, discrepancies: found.length }, 'the store list contradicts an earlier reading');
  for (const d of found) run.options.reporter.warn(`${after}: ${d}`);
}

function partBytesFor(protocol: string | undefined): { partBytes?: number } {
  const partBytes = defaultPartBytes(protocol);
  return partBytes ? { partBytes } : {};
}

import type { Identity } from '../../protocol/domain.js';
import type { PortSettings } from '../../protocol/transport/port-spec.js';
import type { SessionOptions } from '../../protocol/line/session/session.js';
import type { loadRecipient } from '../../wipe/cms/encrypt.js';
import type { Signer } from '../../wipe/certificate/sign.js';
import type { JobLock } from '../job-lock.js';
import type { Journal } from '../journal.js';
import type { AuditLog } from '../log.js';
import type { Reporter } from '../reporter.js';
import type { AttestationRequest } from '../attest-file.js';
import type { ProtocolName } from '../protocol-choice.js';
import type { Transcript } from '../transcript/transcript.js';
import type { WorkOrder } from '../work-order.js';
import type { certify } from './certify.js';
import type { LinkCounts } from '../../protocol/driver.js';
import type { Connection } from './connection.js';
import type { Inventory, JobContext } from './context.js';
import type { JobPolicy } from './facts.js';
import type { BackupSet } from '../../wipe/backup/backup-set.js';
import type { ZvtTuning } from './open-driver.js';
import type { CardDataBackup, JobFacts } from './machine.js';
import type { JobSummary } from './summary.js';

export interface DecommissionOptions {
  port: string;
  settings: PortSettings;
  dir: string;
  workOrders: WorkOrder[];
  resume: boolean;
  dryRun: boolean;
  yes: boolean;
  allowUnsettled: boolean;
  /** --card-data-backup; undefined keeps what the job was started with (default keep). */
  cardDataBackup?: CardDataBackup;
  recipientPath: string;
  signer: Signer;
  /** Bytes of plaintext per backup part (--backup-part-size); default 4 MiB. */
  partBytes?: number;
  record?: string;
  /** The terminal's protocol (`--protocol`); default our line protocol. */
  protocol?: ProtocolName;
  session?: Partial<SessionOptions>;
  /** ZVT timers and bounds, when not the spec's (tests shorten them). */
  zvt?: ZvtTuning;
  reconnectWaitMs: number;
  /** `--attest`: what the technician did by hand; journaled when the job begins. */
  attestations?: AttestationRequest[];
  reporter: Reporter;
  /** Asks the technician to go ahead; false stops before anything changes. */
  confirm: (plan: string) => Promise<boolean>;
}

export interface JobResult {
  exitCode: number;
  summary: JobSummary;
}

/**
 * One run of a decommission job (runner.ts): what it opened before touching the terminal, and
 * what it has learnt since. Each phase fills in its part; the summary reads whatever the run got
 * to, so a job that stops early still reports what it saw.
 */
export interface JobRun {
  readonly options: DecommissionOptions;
  /** Date.now() when the run began, for the summary's duration. */
  readonly started: number;
  readonly recipient: Awaited<ReturnType<typeof loadRecipient>>;
  readonly audit: AuditLog;
  readonly transcript: Transcript | undefined;
  readonly conn: Connection;
  /** DIR/posdecom.lock, held from before the port is opened until the run is finished. */
  lock?: JobLock;
  /** Takes the run off the Ctrl-C / SIGTERM list (agent/interrupt.ts). */
  unregister?: () => void;
  journal?: Journal;
  workOrder?: WorkOrder;
  inventory?: Inventory;
  facts?: JobFacts;
  /** The job's choices, as its journal's first entry holds them (--resume keeps them). */
  policy?: JobPolicy;
  /** The link's counts when the running step began: what it dropped is charged to that step. */
  stepCounts?: LinkCounts;
  /** The terminal as it identified itself after the destructive steps, for the certificate. */
  identityAfter?: Identity;
  /** Once the steps can run: what they run with (a job that stops on an error certifies from it). */
  ctx?: JobContext;
  backupSet?: BackupSet;
  /** Reply fields the protocol does not name, dropped since the current step began, by request type. */
  readonly fieldsDropped: Map<string, number>;
  certified?: Awaited<ReturnType<typeof certify>>;
}

/** How a run ends: its exit code and, when it stopped short, why. */
export interface JobEnding {
  exitCode: number;
  stopReason?: string;
}

/** The reply fields dropped since the last call, all request types together (then forgotten). */
export function takeDropped(run: JobRun): number {
  let n = 0;
  for (const count of run.fieldsDropped.values()) n += count;
  run.fieldsDropped.clear();
  return n;
}

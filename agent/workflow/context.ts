import type { Logger } from 'pino';
import type { TerminalDriver } from '../../protocol/driver.js';
import type { Identity, KeySlot, Status, StoreInfo } from '../../protocol/domain.js';
import type { StepRecord } from '../../wipe/certificate/model.js';
import type { Recipient, RecipientInfoSummary } from '../../wipe/cms/encrypt.js';
import type { PlaintextObserver, StoreReader } from '../../wipe/backup/store-backup.js';
import type { FingerprintKey } from '../../wipe/erasure/fingerprints.js';
import type { Signer } from '../../wipe/certificate/sign.js';
import type { BlockSketcher } from '../../wipe/erasure/sketch.js';
import type { Journal } from '../journal.js';
import type { Reporter } from '../reporter.js';
import type { WorkOrder } from '../work-order.js';
import type { CardDataBackup } from './machine.js';
import type { StoreList } from './store-list.js';

/** What the inventory step measured, journaled so a resumed job compares against it. */
export interface Inventory {
  identity: Identity;
  status: Status;
  stores: StoreInfo[];
  keys: KeySlot[];
  channels: string[];
  links: string[];
  eraseMethods: string[];
  protocol: string;
}

export interface JobContext {
  jobId: string;
  dir: string;
  backupDir: string;
  workDir: string;
  workOrder: WorkOrder;
  allowUnsettled: boolean;
  cardDataBackup: CardDataBackup;
  recipient: Recipient & RecipientInfoSummary;
  signer: Signer;
  /** The job's key for block fingerprints (derived per run; never written except wrapped to the recipient). */
  fingerprintKey: FingerprintKey;
  /** Bytes of plaintext per backup part (default: wipe/backup/parts.ts). */
  partBytes?: number;
  /** Observers of each store's plaintext as it is backed up (e.g. a card-data scanner). */
  plaintextObservers?: (store: StoreInfo) => PlaintextObserver[];
  journal: Journal;
  log: Logger;
  reporter: Reporter;
  /** The live driver; replaced when the link is re-established. */
  driver(): TerminalDriver;
  /** Runs an operation, re-establishing the link and re-authorizing when it drops. */
  withLink<T>(what: string, op: (driver: TerminalDriver) => Promise<T>): Promise<T>;
  /** Reads a store in order, going on from the last byte received after a reconnect. */
  readStore: StoreReader;
  inventory(): Inventory;
  /** The technician attested this step (`--attest`): an UNKNOWN there need not stop the job. */
  attested(step: string, target?: string): boolean;
  /** STATUS, held against what earlier steps confirmed by it (status-watch.ts); `when` names the moment. */
  status(when: string): Promise<Status>;
  /** The store list as last read, read again with cross-checks where the job needs it fresh. */
  storeList: StoreList;
  /** The job's keyed block sketches, taken at backup and compared at erase verification. */
  sketcher: BlockSketcher;
  /** A stable op id for a destructive request, so a resend after a crash is not executed twice. */
  opId(step: string, target?: string): string;
}

/** One step's outcome as the journal keeps it; `outcome` feeds the state machine. */
export interface StepOutcome {
  outcome: string;
  records: StepRecord[];
  extra?: Record<string, unknown>;
}

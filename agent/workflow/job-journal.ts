import { randomUUID } from 'node:crypto';
import type { Identity } from '../../protocol/domain.js';
import type { LinkCounts } from '../../protocol/driver.js';
import { Journal } from '../journal.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { WorkOrder } from '../work-order.js';
import type { Inventory } from './context.js';
import { chargeRecords } from './link-counts.js';
import type { CardDataBackup } from './machine.js';
import { record } from './steps/records.js';

/**
 * The journal entries that open a job: who and what it is about, and the preflight results
 * (identify, authorize) that happened before the journal existed.
 */
export function journalPreflight(
  journal: Journal,
  identity: Identity,
  workOrder: WorkOrder,
  at: Date,
  only: (step: string) => boolean = () => true,
  link?: LinkCounts,
): void {
  const results = [
    record('identify', at, 'PASS', {
      ...identity,
      confirmedBy: 'IDENTIFY',
      workOrderSerial: workOrder.terminal.serial,
    }),
    record('authorize', at, 'PASS', {
      method: 'HMAC-SHA256 challenge-response',
      authorityReference: workOrder.authority.reference,
    }),
  ];
  if (link) chargeRecords(results, link);
  for (const rec of results) {
    if (only(rec.step))
      journal.append('result', { step: rec.step, data: { outcome: 'done', records: [rec] } });
  }
}

export function startJob(
  dir: string,
  j: {
    workOrder: WorkOrder;
    identity: Identity;
    port: string;
    allowUnsettled: boolean;
    /** SHA-256 fingerprint of the backup recipient certificate: --resume must use the same. */
    recipientSha256: string;
    cardDataBackup: CardDataBackup;
    protocol: string;
    at: Date;
    link?: LinkCounts;
  },
): { journal: Journal; jobId: string } {
  const journal = Journal.create(dir);
  const jobId = randomUUID();
  journal.append('job', {
    data: {
      jobId,
      workOrder: j.workOrder.id,
      serial: j.identity.serial,
      // A device path can name the technician's machine; only simulated ports are kept.
      port: j.port.startsWith('sim:') ? j.port : 'serial',
      allowUnsettled: j.allowUnsettled,
      recipientSha256: j.recipientSha256,
      // Chosen once, at the start: --resume keeps it (facts.ts policyOf).
      cardDataBackup: j.cardDataBackup,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      protocol: j.protocol,
    },
  });
  journalPreflight(journal, j.identity, j.workOrder, j.at, () => true, j.link);
  return { journal, jobId };
}

/** The inventory is journaled whole: a resumed job compares the terminal against it. */
export function journalInventory(journal: Journal, inventory: Inventory, link?: LinkCounts): void {
  const records = [
    record('inventory', new Date(), 'PASS', {
      status: inventory.status,
      stores: inventory.stores,
      keys: inventory.keys,
    }),
  ];
  if (link) chargeRecords(records, link);
  journal.append('result', { step: 'inventory', data: { outcome: 'done', inventory, records } });
}

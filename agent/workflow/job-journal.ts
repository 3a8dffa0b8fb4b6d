import { randomUUID } from 'node:crypto';
import type { Identity, StoreInfo } from '../../protocol/domain.js';
import type { AuthorizeResult, LinkCounts } from '../../protocol/driver.js';
import { Journal } from '../journal.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { WorkOrder } from '../work-order.js';
import type { Inventory } from './context.js';
import { chargeRecords } from './link-counts.js';
import type { CardDataBackup } from './machine.js';
import { record } from './steps/records.js';
import { storeSummary } from './store-list.js';

/** How identify and authorize were confirmed, as the driver says (line: IDENTIFY and AUTH). */
export interface PreflightEvidence {
  identifiedBy?: string;
  auth?: AuthorizeResult;
  identityEvidence?: Record<string, unknown>;
}

/**
 * The journal entries that open a job: who and what it is about, and the preflight steps
 * (identify, authorize). Those ran before the journal existed (it is made only for the terminal
 * the work order names), so each intent is journaled with the time its step began, then its
 * result. Fields the terminal sent that the protocol does not name were dropped; how many is
 * in the identify evidence.
 */
export function journalPreflight(
  journal: Journal,
  identity: Identity,
  workOrder: WorkOrder,
  at: Date,
  only: (step: string) => boolean = () => true,
  /** What the link dropped and resent, and reply fields dropped unread, during the preflight. */
  counted: { link?: LinkCounts; fieldsDropped?: number } = {},
  how: PreflightEvidence = {},
): void {
  const fieldsDropped = counted.fieldsDropped ?? 0;
  const results = [
    record('identify', at, 'PASS', {
      ...identity,
      confirmedBy: how.identifiedBy ?? 'IDENTIFY',
      workOrderSerial: workOrder.terminal.serial,
      ...(fieldsDropped > 0 ? { terminalFieldsDropped: fieldsDropped } : {}),
      ...how.identityEvidence,
    }),
    record('authorize', at, 'PASS', {
      method: how.auth?.method ?? 'HMAC-SHA256 challenge-response',
      authorityReference: workOrder.authority.reference,
      ...how.auth?.evidence,
    }),
  ];
  if (counted.link) chargeRecords(results, counted.link);
  for (const rec of results) {
    if (!only(rec.step)) continue;
    journal.append('intent', { step: rec.step, data: { began: at.toISOString() } });
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
    fieldsDropped?: number;
    how?: PreflightEvidence;
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
  journalPreflight(
    journal,
    j.identity,
    j.workOrder,
    j.at,
    () => true,
    {
      ...(j.link ? { link: j.link } : {}),
      ...(j.fieldsDropped ? { fieldsDropped: j.fieldsDropped } : {}),
    },
    j.how,
  );
  return { journal, jobId };
}

function inventoryEvidence(inventory: Inventory): Record<string, unknown> {
  return { status: inventory.status, stores: inventory.stores, keys: inventory.keys };
}

/**
 * The inventory is journaled whole: a resumed job compares the terminal against it. Where the
 * terminal's answers disagree with what it announced (inventory-checks.ts), the inventory FAILs
 * with each discrepancy named, and the job stops before its first change.
 */
export function journalInventory(
  journal: Journal,
  inventory: Inventory,
  startedAt: Date,
  o: { discrepancies?: string[]; extra?: Record<string, unknown>; link?: LinkCounts } = {},
): void {
  const discrepancies = o.discrepancies ?? [];
  const failed = discrepancies.length > 0;
  const records = [
    record(
      'inventory',
      startedAt,
      failed ? 'FAIL' : 'PASS',
      { ...inventoryEvidence(inventory), ...o.extra, ...(failed ? { discrepancies } : {}) },
      failed ? { note: discrepancies.join('; ') } : {},
    ),
  ];
  if (o.link) chargeRecords(records, o.link);
  journal.append('result', {
    step: 'inventory',
    data: {
      outcome: failed ? 'anomaly' : 'done',
      inventory,
      ...(failed ? { anomalies: discrepancies } : {}),
      records,
    },
  });
}

/**
 * A later reading of the store list disagreed with the one before (store-list.ts): the
 * inventory is measured again and FAILs, naming every discrepancy found so far and the reading
 * that showed the new ones. `found` are the new ones (a resumed job adds each up once).
 */
export function journalStoreDiscrepancies(
  journal: Journal,
  inventory: Inventory,
  earlier: string[],
  found: string[],
  after: string,
  stores: StoreInfo[],
): void {
  const all = [...earlier, ...found];
  journal.append('result', {
    step: 'inventory',
    data: {
      outcome: 'anomaly',
      inventory,
      anomalies: found,
      records: [
        record(
          'inventory',
          new Date(),
          'FAIL',
          {
            ...inventoryEvidence(inventory),
            discrepancies: all,
            foundAt: after,
            storesNow: stores.map(storeSummary),
          },
          { note: `${after}: ${found.join('; ')}` },
        ),
      ],
    },
  });
}

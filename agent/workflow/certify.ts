import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Identity } from '../../protocol/domain.js';
import type { WipeCertificate } from '../../wipe/certificate/model.js';
import { buildCertificate, technicianFromCertificate } from '../../wipe/certificate/build.js';
import { writeCertificateFiles } from '../../wipe/certificate/files.js';
import type { Signer } from '../../wipe/certificate/sign.js';
import type { JournalEntry } from '../journal.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { WorkOrder } from '../work-order.js';
import type { Inventory } from './context.js';
import { recordsFromJournal } from './facts.js';

/**
 * The last act of a job: the certificate states what the journal recorded, nothing more, and
 * binds the journal, audit log and transcript by digest. Those files are closed first and never
 * written again, so the digests stay true.
 */
export interface CertifyInput {
  dir: string;
  entries: JournalEntry[];
  inventory: Inventory;
  workOrder: WorkOrder;
  signer: Signer;
  identityAfter: Identity | undefined;
  manifestSha256: string | null;
  journalPath: string;
  auditLogPath: string;
  transcriptPath: string | undefined;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export async function certify(i: CertifyInput): Promise<{ certificate: WipeCertificate; files: string[] }> {
  const steps = recordsFromJournal(i.entries);
  const id = i.inventory.identity;
  const after = i.identityAfter;
  const backupMade = steps.some((s) => s.step === 'backup' && s.result === 'PASS');
  const certificate = buildCertificate({
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    technician: {
      ...technicianFromCertificate(
        i.signer.certPem,
        i.workOrder.technician.title ? { title: i.workOrder.technician.title } : {},
      ),
    },
    device: {
      vendor: id.vendor,
      model: id.model,
      serial: id.serial,
      firmware: id.firmware,
      ...(i.workOrder.terminal.assetTag ? { assetTag: i.workOrder.terminal.assetTag } : {}),
      location: i.workOrder.owner.location,
      tidBefore: id.tid,
      midBefore: id.mid,
      tidAfter: after ? after.tid : null,
      midAfter: after ? after.mid : null,
      channels: i.inventory.channels,
      stores: i.inventory.stores.map((s) => ({ name: s.name, kind: s.kind, cardData: s.cardData })),
    },
    workOrder: {
      id: i.workOrder.id,
      reason: i.workOrder.reason,
      owner: i.workOrder.owner.merchant,
      authorizationRef: i.workOrder.authority.reference,
      destination: i.workOrder.destination,
    },
    steps,
    backup: {
      made: backupMade,
      location: backupMade ? 'backup/' : null,
      manifestSha256: backupMade ? i.manifestSha256 : null,
    },
    boundFiles: {
      journalSha256: await sha256File(i.journalPath),
      auditLogSha256: await sha256File(i.auditLogPath),
      transcriptSha256: i.transcriptPath ? await sha256File(i.transcriptPath) : null,
    },
  });
  const files = await writeCertificateFiles(i.dir, certificate, i.signer);
  return { certificate, files: [files.json.path, files.signature.path, files.pdf.path] };
}

import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Identity } from '../../protocol/domain.js';
import type { AttestationInput, Transport, WipeCertificate } from '../../wipe/certificate/model.js';
import { buildCertificate, technicianFromCertificate } from '../../wipe/certificate/build.js';
import { writeCertificateFiles } from '../../wipe/certificate/files.js';
import type { Signer } from '../../wipe/certificate/sign.js';
import type { JournalEntry } from '../journal.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { WorkOrder } from '../work-order.js';
import { journaledAttestations } from './attestations.js';
import type { Inventory } from './context.js';
import { recordsFromJournal } from './facts.js';

/**
 * The last act of a job: the certificate states what the journal recorded, nothing more, and
 * binds the journal, audit log and transcript by digest. Those files are closed first and never
 * written again, so the digests stay true. The technician's attestations come from the journal
 * too (journaled when the job began), so a resumed job certifies the same ones.
 */
export interface CertifyInput {
  dir: string;
  /** The --port text: it says how the terminal was reached, and whether it was simulated. */
  port: string;
  entries: JournalEntry[];
  inventory: Inventory;
  workOrder: WorkOrder;
  signer: Signer;
  identityAfter: Identity | undefined;
  manifestSha256: string | null;
  journalPath: string;
  auditLogPath: string;
  transcriptPath: string | undefined;
  /**
   * Called with the certificate as it will be (only the bound files' digests still to come) so
   * the journal can end with its result; after it returns, the bound files are never written
   * again and their digests are taken.
   */
  seal?: (draft: WipeCertificate) => void;
  /** The id a sealed journal already names: a certificate written again after a failure keeps it. */
  certificateId?: string;
}

const NOT_YET = '0'.repeat(64);

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** How the terminal was reached, from the --port text (README: Commands). */
export function transportOf(port: string): Transport {
  if (port.startsWith('sim:')) return 'sim';
  if (port.startsWith('zvt+tcp://')) return 'zvt+tcp';
  if (port.startsWith('tcp://')) return 'tcp';
  return 'serial';
}

/** NIST Appendix G media destination categories for the work order's destinations. */
const DESTINATION_CATEGORY: Record<WorkOrder['destination'], string> = {
  'internal-reuse': 'internal reuse',
  'return-to-provider': 'external reuse',
  recycling: 'recycling facility',
  destruction: 'other',
};

export async function certify(i: CertifyInput): Promise<{ certificate: WipeCertificate; files: string[] }> {
  const steps = recordsFromJournal(i.entries);
  const attestations: AttestationInput[] = journaledAttestations(i.entries);
  const w = i.workOrder;
  const backupMade = steps.some((s) => s.step === 'backup' && s.result === 'PASS');
  const input = {
    certificateId: i.certificateId ?? randomUUID(),
    issuedAt: new Date(),
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    technician: technicianFromCertificate(i.signer.certPem, {
      ...(w.technician.title ? { title: w.technician.title } : {}),
      ...(w.technician.phone ? { phone: w.technician.phone } : {}),
      ...(w.sanitizationLocation ? { location: w.sanitizationLocation } : {}),
    }),
    device: device(i),
    workOrder: {
      id: w.id,
      reason: w.reason,
      owner: w.owner.merchant,
      authorizationRef: w.authority.reference,
    },
    destination: {
      kind: w.destination,
      category: DESTINATION_CATEGORY[w.destination],
      details: w.destinationDetails ?? (w.destination === 'destruction' ? 'to be destroyed' : null),
    },
    steps,
    attestations,
    backup: {
      made: backupMade,
      location: backupMade ? (w.backupLocation ?? 'backup/ in the job directory') : null,
      manifestSha256: backupMade ? i.manifestSha256 : null,
    },
    ...(w.postSanitizationClassification
      ? { postSanitizationClassification: w.postSanitizationClassification }
      : {}),
  };
  i.seal?.(
    buildCertificate({
      ...input,
      boundFiles: { journalSha256: NOT_YET, auditLogSha256: NOT_YET, transcriptSha256: null },
    }),
  );
  const certificate = buildCertificate({
    ...input,
    boundFiles: {
      journalSha256: await sha256File(i.journalPath),
      auditLogSha256: await sha256File(i.auditLogPath),
      transcriptSha256: i.transcriptPath ? await sha256File(i.transcriptPath) : null,
    },
  });
  const files = await writeCertificateFiles(i.dir, certificate, i.signer);
  return { certificate, files: [files.json.path, files.signature.path, files.pdf.path] };
}

function device(i: CertifyInput): WipeCertificate['device'] {
  const id = i.inventory.identity;
  const after = i.identityAfter;
  const w = i.workOrder;
  const transport = transportOf(i.port);
  return {
    vendor: id.vendor,
    model: id.model,
    serial: id.serial,
    firmware: id.firmware,
    assetTag: w.terminal.assetTag ?? null,
    location: w.owner.location,
    source: w.terminal.source ?? w.owner.merchant,
    classification: w.terminal.classification ?? null,
    tidBefore: id.tid,
    midBefore: id.mid,
    tidAfter: after ? after.tid : null,
    midAfter: after ? after.mid : null,
    channels: i.inventory.channels,
    stores: i.inventory.stores.map((s) => ({
      name: s.name,
      kind: s.kind,
      cardData: s.cardData,
      media: s.media ?? 'UNKNOWN',
    })),
    protocol: i.inventory.protocol,
    transport,
    // A simulator's word is enough to say "simulated"; nothing can say "real" for it.
    simulated: transport === 'sim' || id.simulated === true || after?.simulated === true,
  };
}

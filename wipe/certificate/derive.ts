import type {
  DataBackedUp,
  OverallResult,
  PciDssFields,
  SanitizationSummary,
  StepRecord,
  WipeCertificate,
} from './model.js';
import { isPassing, stepLabel } from './results.js';
import { computeOverall } from './rules.js';
import { computeSanitization } from './sanitization.js';

/**
 * The blocks of a certificate that are computed from the rest: built once by buildCertificate
 * and recomputed by the verifier, which compares them with what was signed.
 */

export type CertificateCore = Omit<
  WipeCertificate,
  'sanitization' | 'overall' | 'pciDss' | 'attestation' | 'validation' | 'backup'
> & { backup: Omit<WipeCertificate['backup'], 'dataBackedUp'> };

export interface DerivedBlocks {
  sanitization: SanitizationSummary;
  overall: OverallResult;
  pciDss: PciDssFields;
  attestation: string;
  dataBackedUp: DataBackedUp;
  validation: string;
}

/** The certificate cannot hold a signature made later by someone else; it says where to look. */
export const VALIDATION_TEXT =
  'Validation by a second person (NIST SP 800-88 rev.2 s.4.5) is not part of this signed record: ' +
  'see validation.json and validation.p7s beside this certificate, when present.';

export function deriveBlocks(core: CertificateCore, postSanitizationClassification?: string): DerivedBlocks {
  const sanitization = computeSanitization(core.device.stores, core.steps, postSanitizationClassification);
  const overall = computeOverall(core.device, core.steps, core.backup);
  return {
    sanitization,
    overall,
    pciDss: pciDss(core, sanitization, overall),
    attestation: attestation(core, overall),
    dataBackedUp: dataBackedUp(core),
    validation: VALIDATION_TEXT,
  };
}

/**
 * Appendix G "data backed up": yes only when every store has a verified backup; unknown when
 * the device reported no stores or a store's backup could not be measured (and none failed);
 * no otherwise (the tool knows it did not back everything up).
 */
function dataBackedUp(core: CertificateCore): DataBackedUp {
  const backups = core.steps.filter((s) => s.step === 'backup');
  const stores = core.device.stores.map((s) => s.name);
  if (stores.length === 0) return 'unknown';
  if (stores.every((name) => backups.some((b) => b.target === name && isPassing(b.result)))) return 'yes';
  const unmeasured = backups.some((b) => b.result === 'UNKNOWN' || b.result === 'ATTESTED');
  return unmeasured && !backups.some((b) => b.result === 'FAIL') ? 'unknown' : 'no';
}

function pciDss(core: CertificateCore, s: SanitizationSummary, overall: OverallResult): PciDssFields {
  const d = core.device;
  const cardholderDataStores = d.stores.filter((st) => st.cardData).map((st) => st.name);
  const scope =
    cardholderDataStores.length === 0
      ? 'No store reported cardholder data; every store was sanitized as if it did.'
      : `Stores that may hold cardholder data: ${cardholderDataStores.join(', ')}.`;
  const outcome =
    isPassing(s.result) && s.methodType !== 'None'
      ? `Every store was sanitized (NIST SP 800-88 ${s.methodType}: ${s.methodUsed}) and verified (${s.verificationMethod}); the data is not recoverable by the means stated.`
      : `Sanitization was not confirmed for every store (result ${s.result}); treat the device as still holding cardholder data.`;
  return {
    poiInventory: {
      requirement: '9.5.1.1',
      make: d.vendor,
      model: d.model,
      serialNumber: d.serial,
      location: d.location,
      status: overall.result === 'PASS' ? 'decommissioned' : 'decommission-incomplete',
    },
    mediaDestruction: { requirement: '9.4.7', cardholderDataStores, statement: `${scope} ${outcome}` },
  };
}

function attestation(core: CertificateCore, overall: OverallResult): string {
  const d = core.device;
  const attested = core.steps.filter((s: StepRecord) => s.result === 'ATTESTED').map(stepLabel);
  const byHand =
    attested.length === 0
      ? ''
      : ` The steps ${attested.join(', ')} were done by hand: they rest on my statement, not on a measurement.`;
  const simulated = d.simulated ? ' The terminal was simulated: this is not a record of a device.' : '';
  return (
    `I, ${core.performedBy.name} (${core.performedBy.organisation}), attest that the decommissioning recorded ` +
    `in this certificate was performed on the ${d.vendor} ${d.model}, serial ${d.serial}, under work order ` +
    `${core.workOrder.id}, using ${core.tool.name} ${core.tool.version}, and that each result stated here is ` +
    `the result the tool measured.${byHand}${simulated} Overall result: ${overall.result}.`
  );
}

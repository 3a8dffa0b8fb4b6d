import type { OverallResult, PciDssFields, SanitizationSummary, WipeCertificateV1 } from './model.js';
import { computeOverall } from './rules.js';
import { computeSanitization } from './sanitization.js';

/**
 * The blocks of a certificate that are computed from the rest: built once by buildCertificate
 * and recomputed by the verifier, which compares them with what was signed.
 */

export type CertificateCore = Omit<WipeCertificateV1, 'sanitization' | 'overall' | 'pciDss' | 'attestation'>;

export interface DerivedBlocks {
  sanitization: SanitizationSummary;
  overall: OverallResult;
  pciDss: PciDssFields;
  attestation: string;
}

export function deriveBlocks(core: CertificateCore, postSanitizationClassification?: string): DerivedBlocks {
  const sanitization = computeSanitization(core.device.stores, core.steps, postSanitizationClassification);
  const overall = computeOverall(core.device, core.steps, core.backup);
  return {
    sanitization,
    overall,
    pciDss: pciDss(core, sanitization, overall),
    attestation: attestation(core, overall),
  };
}

function pciDss(core: CertificateCore, s: SanitizationSummary, overall: OverallResult): PciDssFields {
  const d = core.device;
  const cardholderDataStores = d.stores.filter((st) => st.cardData).map((st) => st.name);
  const decommissioned = overall.result === 'PASS' || overall.result === 'WARN';
  const scope =
    cardholderDataStores.length === 0
      ? 'No store reported cardholder data; every store was sanitized as if it did.'
      : `Stores that may hold cardholder data: ${cardholderDataStores.join(', ')}.`;
  const outcome =
    s.result === 'PASS'
      ? `Every store was sanitized (NIST SP 800-88 ${s.methodType}: ${s.methodUsed}) and verified (${s.verificationMethod}); the data is not recoverable by the means stated.`
      : `Sanitization was not confirmed for every store (result ${s.result}); treat the device as still holding cardholder data.`;
  return {
    poiInventory: {
      requirement: '9.5.1.1',
      make: d.vendor,
      model: d.model,
      serialNumber: d.serial,
      location: d.location ?? null,
      status: decommissioned ? 'decommissioned' : 'decommission-incomplete',
    },
    mediaDestruction: { requirement: '9.4.7', cardholderDataStores, statement: `${scope} ${outcome}` },
  };
}

function attestation(core: CertificateCore, overall: OverallResult): string {
  const d = core.device;
  return (
    `I, ${core.performedBy.name} (${core.performedBy.organisation}), attest that the decommissioning recorded ` +
    `in this certificate was performed on the ${d.vendor} ${d.model}, serial ${d.serial}, under work order ` +
    `${core.workOrder.id}, using ${core.tool.name} ${core.tool.version}, and that each result stated here is ` +
    `the result the tool measured. Overall result: ${overall.result}.`
  );
}

import { canonicalize } from './canonical-json.js';
import { deriveBlocks } from './derive.js';
import type { WipeCertificate } from './model.js';
import { effectiveResult, hasAttestation, hasEvidence, isPassing, stepLabel } from './results.js';
import type { AnyWipeCertificate } from './schema.js';
import { ruleViolationsV1 } from './v1/consistency.js';
import { SCHEMA_VERSION_1 } from './v1/model.js';

/**
 * A certificate's own consistency, independent of who signed it: a correctly signed certificate
 * that claims PASS while a step is UNKNOWN or ATTESTED is still a false certificate. The derived
 * blocks are recomputed from the steps with the rules of the certificate's schema version.
 */
export function certificateRuleViolations(cert: AnyWipeCertificate): string[] {
  return cert.schemaVersion === SCHEMA_VERSION_1 ? ruleViolationsV1(cert) : ruleViolations(cert);
}

function ruleViolations(cert: WipeCertificate): string[] {
  const problems: string[] = [];
  for (const s of cert.steps) {
    if (isPassing(s.result) && !hasEvidence(s))
      problems.push(`${stepLabel(s)} is ${s.result} without evidence`);
    if (s.result === 'ATTESTED' && !hasAttestation(s))
      problems.push(`${stepLabel(s)} is ATTESTED without the technician's statement and time`);
    if (Date.parse(s.endedAt) < Date.parse(s.startedAt))
      problems.push(`${stepLabel(s)} ends before it starts`);
  }
  const { sanitization, overall, pciDss, attestation, validation, backup, ...rest } = cert;
  const { dataBackedUp, ...backupCore } = backup;
  const derived = deriveBlocks({ ...rest, backup: backupCore }, sanitization.postSanitizationClassification);
  if (overall.result !== derived.overall.result) {
    problems.push(`overall result is ${overall.result} but the steps give ${derived.overall.result}`);
  } else if (canonicalize(overall.reasons) !== canonicalize(derived.overall.reasons)) {
    problems.push('overall reasons do not match the steps');
  }
  if (canonicalize(overall.findings) !== canonicalize(derived.overall.findings)) {
    problems.push('overall findings do not match the steps');
  }
  if (canonicalize(sanitization) !== canonicalize(derived.sanitization)) {
    problems.push(
      `sanitization summary (${sanitization.methodType}, ${sanitization.result}) does not follow from the erase steps ` +
        `(${derived.sanitization.methodType}, ${derived.sanitization.result})`,
    );
  }
  if (dataBackedUp !== derived.dataBackedUp)
    problems.push(`data backed up is "${dataBackedUp}" but the backup steps give "${derived.dataBackedUp}"`);
  if (canonicalize(pciDss) !== canonicalize(derived.pciDss)) {
    problems.push('PCI DSS fields do not match the device and results');
  }
  if (attestation !== derived.attestation) problems.push('attestation text does not match the certificate');
  if (validation !== derived.validation) problems.push('validation text does not match this schema version');
  // Belt and braces: whatever the derived blocks say, a PASS rests on measurements only.
  if (overall.result === 'PASS' && cert.steps.some((s) => !isPassing(effectiveResult(s)))) {
    problems.push('overall PASS although a step is not a measured PASS');
  }
  return problems;
}

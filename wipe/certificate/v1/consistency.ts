import { canonicalize } from '../canonical-json.js';
import { deriveBlocks, type CertificateCore } from './derive.js';
import type { WipeCertificateV1 } from './model.js';
import { hasEvidence, stepLabel } from './results.js';

/**
 * A version 1 certificate's own consistency, judged by the rules it was issued under: the
 * derived blocks are recomputed from its steps with the version 1 rules and must match.
 */
export function ruleViolationsV1(cert: WipeCertificateV1): string[] {
  const problems: string[] = [];
  for (const s of cert.steps) {
    if (s.result === 'PASS' && !hasEvidence(s)) problems.push(`${stepLabel(s)} is PASS without evidence`);
    if (Date.parse(s.endedAt) < Date.parse(s.startedAt))
      problems.push(`${stepLabel(s)} ends before it starts`);
  }
  const { sanitization, overall, pciDss, attestation, ...core } = cert;
  const derived = deriveBlocks(core satisfies CertificateCore, sanitization.postSanitizationClassification);
  if (overall.result !== derived.overall.result) {
    problems.push(`overall result is ${overall.result} but the steps give ${derived.overall.result}`);
  } else if (canonicalize(overall.reasons) !== canonicalize(derived.overall.reasons)) {
    problems.push('overall reasons do not match the steps');
  }
  if (canonicalize(sanitization) !== canonicalize(derived.sanitization)) {
    problems.push(
      `sanitization summary (${sanitization.methodType}, ${sanitization.result}) does not follow from the erase steps ` +
        `(${derived.sanitization.methodType}, ${derived.sanitization.result})`,
    );
  }
  if (canonicalize(pciDss) !== canonicalize(derived.pciDss)) {
    problems.push('PCI DSS fields do not match the device and results');
  }
  if (attestation !== derived.attestation) problems.push('attestation text does not match the certificate');
  return problems;
}

import type { CertificateInput, Technician } from '../../wipe/certificate/model.js';
import { sampleCertificateInput } from '../../wipe/certificate/sample.js';

/**
 * The sample certificate input, issued now: the verifier holds signingTime to within minutes of
 * issuedAt, and a test signs now, so the sample's fixed issue date would fail that rule.
 */
export function sampleIssuedNow(technician: Technician, issuedAt = new Date()): CertificateInput {
  return { ...sampleCertificateInput(technician), issuedAt };
}

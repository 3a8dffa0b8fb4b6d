import { certificateRuleViolations } from '../certificate/consistency.js';
import type { AnyWipeCertificate } from '../certificate/schema.js';

/**
 * The certificate's own consistency, independent of who signed it: a correctly signed
 * certificate that claims PASS while a step is UNKNOWN or ATTESTED is still a false
 * certificate. The rules live with the certificate (certificate/consistency.ts), per schema
 * version, so a version 1 certificate is judged by the rules it was issued under.
 */
export function internalRuleViolations(cert: AnyWipeCertificate): string[] {
  return certificateRuleViolations(cert);
}

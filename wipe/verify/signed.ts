import { fail, pass, type Check } from './check.js';
import type { CertFacts } from './certs.js';
import { checkChain, checkSignerUsage, findPath } from './chain.js';
import { CmsProfileError, readSignedMessage, signingTimeOf, type SignedMessage } from './cms.js';
import {
  checkAlgorithms,
  checkCaConstraints,
  checkCriticalExtensions,
  checkKeyStrength,
  judged,
} from './policy.js';
import { checkRevocation } from './revocation.js';
import { checkSignature } from './signature.js';
import type { Trust } from './trust.js';

/**
 * Who signed these exact bytes, and may they: everything about a detached CMS signature that
 * does not depend on what the bytes say. Shared by the certificate and its validation.
 *
 *   .p7s --pkijs--> profile --> messageDigest, signature (pkijs) --> path (pkijs engine)
 *        --> our policy: algorithms, key strength, CA constraints, critical extensions,
 *            signer usage, revocation (when a CRL is given)
 */

export const SIGNATURE_CHECKS = [
  'cms-structure',
  'message-digest',
  'signature',
  'algorithms',
  'key-strength',
  'chain',
  'ca-constraints',
  'critical-extensions',
  'signer-usage',
] as const;

export interface SignedFindings {
  checks: Check[];
  signer?: CertFacts;
  signingTime?: Date;
  /** Why the signature checks that are missing from `checks` could not run. */
  gap: string;
}

export async function verifySigned(
  content: Uint8Array,
  p7s: Uint8Array,
  trust: Trust,
): Promise<SignedFindings> {
  const checks: Check[] = [];
  let m: SignedMessage;
  try {
    m = readSignedMessage(p7s);
  } catch (err) {
    const why = err instanceof CmsProfileError ? err.message : `cannot be read (${(err as Error).message})`;
    checks.push(fail('cms-structure', `not a posdecom CMS signature: ${why}`));
    return { checks, gap: 'the signature file could not be read' };
  }
  checks.push(
    pass('cms-structure', `detached SignedData, one signer, ${m.certificates.length} certificate(s)`),
  );
  const found = await checkSignature(content, m);
  checks.push(...found.checks);
  const { signer, others } = found;
  if (!signer) return { checks, gap: "the signer's certificate is not in the signature file" };
  const signingTime = signingTimeOf(m);
  const anchor = trust.anchor;
  const path = await findPath(signer, others, anchor);
  const certs = judged(path, signer, others, anchor);
  checks.push(
    checkAlgorithms(m, certs),
    checkKeyStrength(certs),
    checkChain(path, signer, anchor, others, signingTime),
    checkCaConstraints(path, [...others, anchor]),
    checkCriticalExtensions(certs),
    checkSignerUsage(signer),
  );
  if (trust.crl) checks.push(checkRevocation(trust.crl, path, signingTime));
  return { checks, signer, ...(signingTime ? { signingTime } : {}), gap: '' };
}

import { X509Certificate } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { certFacts, type CertFacts } from './certs.js';
import { loadCrl, type LoadedCrl } from './revocation.js';

/**
 * What a verifier trusts: the organisation's CA certificate and, optionally, the CA's CRL.
 * Read once and reused for every certificate of a batch (`posdecom report`): parsing the CA and
 * checking the CRL's signature cost more than verifying one certificate.
 */
export interface Trust {
  anchor: CertFacts;
  crl?: LoadedCrl;
}

export interface TrustOptions {
  /** The CA's CRL (PEM or DER); checked against the CA and `now` here. */
  crl?: string | Uint8Array;
  now?: Date;
}

/** Throws a one-line usage error (PosdecomError UsageBadFile) for an unusable CA or CRL. */
export async function loadTrust(caPem: string | Uint8Array, o: TrustOptions = {}): Promise<Trust> {
  let anchor: CertFacts;
  try {
    anchor = certFacts(new Uint8Array(new X509Certificate(caPem).raw));
  } catch {
    throw new PosdecomError(ErrorCode.UsageBadFile, 'the CA file is not a PEM certificate');
  }
  if (anchor.problems.length > 0)
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `the CA certificate is malformed: ${anchor.problems.join('; ')}`,
    );
  if (o.crl === undefined) return { anchor };
  return { anchor, crl: await loadCrl(o.crl, anchor, o.now ?? new Date()) };
}

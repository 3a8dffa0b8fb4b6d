import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

/** File names and small rules shared by the CA commands and the throw-away demo PKI. */

export const PKI_FILES = {
  caCert: 'ca.crt.pem',
  caKey: 'ca.key.pem',
  technicianCert: 'technician.crt.pem',
  technicianKey: 'technician.key.pem',
  chain: 'chain.pem',
  recipientCert: 'backup-recipient.crt.pem',
  recipientKey: 'backup-recipient.key.pem',
} as const;

const DAY_MS = 86_400_000;
/** Back-dated so a signer whose clock runs a little behind the CA's can use a new certificate. */
const CLOCK_SKEW_MS = 5 * 60_000;

export function checkEmail(email: string): void {
  // rfc822Name is an IA5String: ASCII only (RFC 5280 s.4.2.1.6).
  if (!/^[\x21-\x7e]+@[\x21-\x7e]+\.[\x21-\x7e]+$/.test(email) || email.split('@').length !== 2) {
    throw new PosdecomError(ErrorCode.UsageInvalid, `not a usable email address: ${JSON.stringify(email)}`);
  }
}

export function validity(o: { now?: Date; validityDays?: number }, defaultDays: number) {
  const now = (o.now ?? new Date()).getTime();
  return {
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + (o.validityDays ?? defaultDays) * DAY_MS),
  };
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read ${path}: ${(err as Error).message}`, {
      path,
    });
  }
}

/**
 * A certificate subject on one line ("CN=Jane Doe, O=Acme"), in node's (OpenSSL's) rendering,
 * which escapes separators inside values; both the certificate builder and the verifier use it.
 */
export function subjectLine(x509: X509Certificate): string {
  return x509.subject.split('\n').join(', ');
}

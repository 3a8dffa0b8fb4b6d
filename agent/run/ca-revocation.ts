import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { PKI_FILES, readText } from '../../wipe/pki/common.js';
import { issueCrl } from '../../wipe/pki/crl.js';
import type { LoadedCa } from '../../wipe/pki/ca.js';
import { writeFileAtomic } from '../../wipe/pki/fs.js';
import { isReasonName, revokeCertificate, takeCrlNumber } from '../../wipe/pki/revocations.js';

/**
 * `ca revoke` records a revocation in the CA directory (no key needed: it signs nothing);
 * `ca crl` turns the record into a CRL signed with the CA's key. Each returns the lines to print.
 */

export async function revoke(caDir: string, certPath: string, reason: string): Promise<string[]> {
  if (!isReasonName(reason)) throw new PosdecomError(ErrorCode.UsageInvalid, `unknown reason ${reason}`);
  const caPem = await readText(join(caDir, PKI_FILES.caCert));
  let certPem: string;
  try {
    certPem = await readFile(certPath, 'utf8');
  } catch (err) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read ${certPath}: ${(err as Error).message}`);
  }
  const r = await revokeCertificate(caDir, caPem, certPem, reason);
  return [
    `revoked ${r.subject} (serial ${r.serial}) at ${r.revokedAt}: ${r.reason}`,
    'Publish a new CRL (posdecom ca crl) so verifiers learn of it.',
  ];
}

export async function publishCrl(ca: LoadedCa, caDir: string, out: string, days: number): Promise<string[]> {
  const { list, crlNumber } = await takeCrlNumber(caDir);
  const pem = await issueCrl(ca, list, { crlNumber, days });
  await writeFileAtomic(out, pem);
  return [`wrote ${out} (CRL number ${crlNumber}, ${list.revoked.length} revoked, valid ${days} days)`];
}

import { X509Certificate } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { subjectLine } from './common.js';
import { writeFileAtomic } from './fs.js';

/**
 * The CA's record of what it revoked, kept beside its key as revocations.json: the source every
 * CRL is made from. Each change is a whole-file atomic write (fs.ts) made under a lock file, so
 * a crash leaves the old list or the new one, and two `ca` commands never lose each other's entry.
 */

export const REVOCATIONS_FILE = 'revocations.json';
const LOCK_FILE = 'revocations.lock';
const FORMAT = 'posdecom-revocations/1';

/** RFC 5280 s.5.3.1 CRLReason names and codes (8, removeFromCRL, belongs to delta CRLs only). */
export const REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type ReasonName = keyof typeof REASONS;

export interface Revocation {
  /** Serial number as the DER INTEGER's content octets, lower-case hex. */
  serial: string;
  subject: string;
  revokedAt: string;
  reason: ReasonName;
}

export interface RevocationList {
  format: typeof FORMAT;
  /** The number the last CRL made from this list carried (0: none made yet). */
  crlNumber: number;
  revoked: Revocation[];
}

export function isReasonName(s: string): s is ReasonName {
  return Object.hasOwn(REASONS, s);
}

export async function readRevocations(caDir: string): Promise<RevocationList> {
  const path = join(caDir, REVOCATIONS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { format: FORMAT, crlNumber: 0, revoked: [] };
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read ${path}: ${(err as Error).message}`);
  }
  const list = JSON.parse(text) as RevocationList;
  if (list?.format !== FORMAT || !Array.isArray(list.revoked) || !Number.isSafeInteger(list.crlNumber))
    throw new PosdecomError(ErrorCode.UsageBadFile, `${path} is not a ${FORMAT} file`);
  return list;
}

/** Adds the certificate to the CA's list; refuses one the CA did not issue or already revoked. */
export async function revokeCertificate(
  caDir: string,
  caCertPem: string,
  certPem: string,
  reason: ReasonName,
  now = new Date(),
): Promise<Revocation> {
  const ca = new X509Certificate(caCertPem);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new PosdecomError(ErrorCode.UsageBadFile, 'the certificate to revoke is not a PEM certificate');
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw new PosdecomError(ErrorCode.UsageInvalid, `${subjectLine(cert)} was not issued by this CA`);
  const entry: Revocation = {
    serial: serialHex(cert.serialNumber),
    subject: subjectLine(cert),
    revokedAt: now.toISOString(),
    reason,
  };
  await underLock(caDir, async () => {
    const list = await readRevocations(caDir);
    const old = list.revoked.find((r) => r.serial === entry.serial);
    if (old) {
      throw new PosdecomError(
        ErrorCode.UsageInvalid,
        `${entry.subject} was already revoked on ${old.revokedAt} (${old.reason})`,
      );
    }
    list.revoked.push(entry);
    await writeList(caDir, list);
  });
  return entry;
}

/** The next CRL number, recorded before the CRL is written so no two CRLs share one. */
export async function takeCrlNumber(caDir: string): Promise<{ list: RevocationList; crlNumber: number }> {
  return underLock(caDir, async () => {
    const list = await readRevocations(caDir);
    list.crlNumber += 1;
    await writeList(caDir, list);
    return { list, crlNumber: list.crlNumber };
  });
}

/** node gives the serial as upper-case hex of the INTEGER's value; DER adds 00 before a high bit. */
function serialHex(nodeSerial: string): string {
  let hex = nodeSerial.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/.test(hex) ? `00${hex}` : hex;
}

async function writeList(caDir: string, list: RevocationList): Promise<void> {
  await writeFileAtomic(join(caDir, REVOCATIONS_FILE), `${JSON.stringify(list, null, 2)}\n`);
}

async function underLock<T>(caDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(caDir, LOCK_FILE);
  let fh;
  try {
    fh = await open(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `another ca command holds ${lock}; if none is running, remove the file`,
    );
  }
  try {
    return await work();
  } finally {
    await fh.close();
    await unlink(lock).catch(() => undefined);
  }
}

import * as asn1js from 'asn1js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { pkijs } from '../pki/pkijs.js';
import { SIGNATURES, digestProblem } from './algorithms.js';
import { fail, pass, type Check } from './check.js';
import type { CertFacts } from './certs.js';
import type { PathResult } from './chain.js';

/**
 * Revocation against a CRL from the trusted CA (`posdecom ca crl`). The CRL itself must be
 * usable before anything is judged by it: signed by the CA, current (thisUpdate not in the
 * future, nextUpdate not passed). A CRL that is not is the caller's input error, not a verdict.
 *
 * When is a revoked signer's signature still good? signingTime is asserted by the key's holder,
 * so after a compromise (keyCompromise, cACompromise, aACompromise, or no reason given) the key
 * can sign with any date: such a revocation fails every signature. For the administrative
 * reasons (superseded, affiliationChanged, cessationOfOperation, privilegeWithdrawn,
 * certificateHold) a signature made before the revocation date stands.
 */

const REASON_NAMES: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};
const ANY_TIME = new Set(['unspecified', 'keyCompromise', 'cACompromise', 'aACompromise']);
const OID_REASON = '2.5.29.21';
const CLOCK_SKEW_MS = 5 * 60_000;

export interface LoadedCrl {
  thisUpdate: Date;
  nextUpdate: Date;
  /** Serial (DER INTEGER content, hex) -> revocation. */
  revoked: Map<string, { date: Date; reason: string }>;
}

export async function loadCrl(data: string | Uint8Array, anchor: CertFacts, now: Date): Promise<LoadedCrl> {
  const bad = (why: string) => new PosdecomError(ErrorCode.UsageBadFile, `the CRL ${why}`);
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(crlDer(data));
  } catch {
    throw bad('is not an X.509 CRL (PEM or DER)');
  }
  if (!crl.issuer.isEqual(anchor.cert.subject)) throw bad(`was not issued by the CA (${anchor.name})`);
  const sigProblem = digestProblem(SIGNATURES[crl.signatureAlgorithm.algorithmId]?.digest ?? 'unknown');
  if (sigProblem) throw bad(`is signed with an algorithm that is not accepted (${sigProblem})`);
  let signed = false;
  try {
    signed = await crl.verify({ issuerCertificate: anchor.cert });
  } catch {
    signed = false;
  }
  if (!signed) throw bad(`is not signed by the CA (${anchor.name})`);
  if (anchor.keyUsage && !anchor.keyUsage.has('cRLSign')) throw bad(`comes from a CA without cRLSign`);
  const thisUpdate = crl.thisUpdate.value;
  const nextUpdate = crl.nextUpdate?.value;
  if (!nextUpdate) throw bad('has no nextUpdate, so its freshness cannot be judged');
  if (thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS)
    throw bad(`is not valid yet (thisUpdate ${thisUpdate.toISOString()})`);
  if (nextUpdate.getTime() < now.getTime())
    throw bad(`expired at ${nextUpdate.toISOString()} (nextUpdate); get a current one from the CA`);
  const revoked = new Map<string, { date: Date; reason: string }>();
  for (const r of crl.revokedCertificates ?? []) {
    revoked.set(hex(r.userCertificate), { date: r.revocationDate.value, reason: reasonOf(r) });
  }
  return { thisUpdate, nextUpdate, revoked };
}

/** Every certificate on the path below the CA, judged by the CA's CRL at the signing time. */
export function checkRevocation(crl: LoadedCrl, found: PathResult, signingTime: Date | undefined): Check {
  if (!found.ok) return fail('revocation', 'not checked: no path to the CA');
  if (!signingTime) return fail('revocation', 'not checked: no readable signingTime');
  const { path } = found;
  const anchor = path[path.length - 1] as CertFacts;
  for (const c of path.slice(0, -1)) {
    const issuer = path[path.indexOf(c) + 1];
    if (issuer !== anchor)
      return fail('revocation', `${c.name} is not covered by the CA's CRL (issued by ${issuer?.name})`);
    const r = crl.revoked.get(hex(c.cert.serialNumber));
    if (!r) continue;
    const when = `revoked ${r.date.toISOString()} (${r.reason})`;
    if (ANY_TIME.has(r.reason)) return fail('revocation', `${c.name} was ${when}`);
    if (r.date.getTime() <= signingTime.getTime())
      return fail(
        'revocation',
        `${c.name} was ${when}, before the signing time ${signingTime.toISOString()}`,
      );
  }
  return pass(
    'revocation',
    `not revoked at the signing time per the CA's CRL of ${crl.thisUpdate.toISOString()} (next ${crl.nextUpdate.toISOString()})`,
  );
}

function reasonOf(r: pkijs.RevokedCertificate): string {
  const ext = r.crlEntryExtensions?.extensions.find((e) => e.extnID === OID_REASON);
  if (!ext) return 'unspecified';
  const v = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  const code = v instanceof asn1js.Enumerated ? v.valueBlock.valueDec : -1;
  return REASON_NAMES[code] ?? `reason ${code}`;
}

function hex(i: asn1js.Integer): string {
  return Buffer.from(i.valueBlock.valueHexView).toString('hex');
}

function crlDer(data: string | Uint8Array): Uint8Array {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  const m = /-----BEGIN X509 CRL-----([\s\S]+?)-----END X509 CRL-----/.exec(text);
  if (m) return new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s/g, ''), 'base64'));
  if (typeof data === 'string') throw new Error('no PEM CRL');
  return data;
}

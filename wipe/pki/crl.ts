import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import type { LoadedCa } from './ca.js';
import { toPem } from './keys.js';
import { pkijs } from './pkijs.js';
import { REASONS, type RevocationList } from './revocations.js';

/**
 * An X.509 v2 CRL (RFC 5280 s.5) for the CA's revocation list, assembled and signed by pkijs
 * (SHA-256, RSA PKCS#1 v1.5) with the CA's key handed to WebCrypto as a non-extractable key; the
 * key's plain bytes exist only for that hand-over and are wiped after it. It carries a CRL number and the CA's key identifier, and each entry its reason,
 * so `openssl cms -verify -crl_check -CRLfile` and `posdecom verify --crl` both read it.
 */

const OID_SHA256_RSA = '1.2.840.113549.1.1.11';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_REASON = '2.5.29.21';
const DAY_MS = 86_400_000;
export const DEFAULT_CRL_DAYS = 30;

export interface CrlOptions {
  crlNumber: number;
  now?: Date;
  days?: number;
}

export async function issueCrl(ca: LoadedCa, list: RevocationList, o: CrlOptions): Promise<string> {
  const caCert = pkijs.Certificate.fromBER(pemBody(ca.certPem));
  const now = o.now ?? new Date();
  const alg = () =>
    new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256_RSA, algorithmParams: new asn1js.Null() });
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    signature: alg(),
    issuer: caCert.subject,
    thisUpdate: time(now),
    nextUpdate: time(new Date(now.getTime() + (o.days ?? DEFAULT_CRL_DAYS) * DAY_MS)),
    signatureAlgorithm: alg(),
  });
  if (list.revoked.length > 0) {
    crl.revokedCertificates = list.revoked.map((r) => {
      const entry = new pkijs.RevokedCertificate({
        userCertificate: new asn1js.Integer({ valueHex: Buffer.from(r.serial, 'hex') }),
        revocationDate: time(new Date(r.revokedAt)),
      });
      // RFC 5280 s.5.3.1: absent rather than unspecified.
      if (r.reason !== 'unspecified') {
        entry.crlEntryExtensions = new pkijs.Extensions({
          extensions: [extension(OID_REASON, new asn1js.Enumerated({ value: REASONS[r.reason] }))],
        });
      }
      return entry;
    });
  }
  const crlExtensions = [extension(OID_CRL_NUMBER, new asn1js.Integer({ value: o.crlNumber }))];
  const ski = caCert.extensions?.find((e) => e.extnID === OID_SUBJECT_KEY_ID)?.parsedValue;
  if (ski instanceof asn1js.OctetString) {
    const aki = new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({ valueHex: ski.valueBlock.valueHexView }),
    });
    crlExtensions.push(extension(OID_AUTHORITY_KEY_ID, aki.toSchema()));
  }
  crl.crlExtensions = new pkijs.Extensions({ extensions: crlExtensions });
  await crl.sign(await signingKey(ca), 'SHA-256');
  return toPem('X509 CRL', new Uint8Array(crl.toSchema().toBER()));
}

async function signingKey(ca: LoadedCa) {
  const pkcs8 = ca.key.export({ format: 'der', type: 'pkcs8' });
  try {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  } finally {
    pkcs8.fill(0);
  }
}

function extension(extnID: string, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical: false, extnValue: value.toBER() });
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 s.5.1.2.4). */
function time(d: Date): pkijs.Time {
  return new pkijs.Time({ type: d.getUTCFullYear() < 2050 ? 0 : 1, value: d });
}

function pemBody(pem: string): Uint8Array {
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? '';
  return new Uint8Array(Buffer.from(b64.replace(/\s/g, ''), 'base64'));
}

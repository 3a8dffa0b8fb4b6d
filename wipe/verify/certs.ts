import { X509Certificate, createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from '../pki/pkijs.js';

/**
 * One certificate as the verifier sees it: pkijs's parse (for path building and signatures),
 * node's (for the subject line the certificate builder wrote and the key's size) and the facts
 * the policy reads. Parsing costs far more than a signature check, and a batch of certificates
 * from one technician carries the same few certificates each time, so facts are cached by DER.
 */

export type KeyUsageBit =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

const KEY_USAGE_BITS: KeyUsageBit[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
];

export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export const EKU = { emailProtection: '1.3.6.1.5.5.7.3.4', any: '2.5.29.37.0' } as const;

export interface CertFacts {
  der: Buffer;
  /** sha256 of the DER, hex: the certificate's identity in caches and messages. */
  fingerprint: string;
  cert: pkijs.Certificate;
  x509: X509Certificate;
  /** CN, or the whole subject when there is none. */
  name: string;
  notBefore: Date;
  notAfter: Date;
  /** Outer signatureAlgorithm OID. */
  signatureAlgorithm: string;
  /** null when the extension is absent. */
  keyUsage: Set<KeyUsageBit> | null;
  extKeyUsage: string[] | null;
  basicConstraints: { ca: boolean; pathLen: number | undefined } | null;
  extensions: Array<{ oid: string; critical: boolean }>;
  key: { type: string; bits: number | undefined; curve: string | undefined };
  /** Departures from the certificate profile found while reading (RFC 5280 s.4.1.1.2, s.4.2). */
  problems: string[];
}

const cache = new Map<string, CertFacts>();
const CACHE_LIMIT = 512;

/** Facts of a DER certificate; throws when either parser refuses it. */
export function certFacts(der: Uint8Array): CertFacts {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let facts = cache.get(key);
  if (!facts) {
    facts = readFacts(Buffer.from(der));
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, facts);
  }
  return facts;
}

/** Facts of an already parsed asn1js element (a certificate inside a CMS). */
export function certFactsOf(element: asn1js.AsnType): CertFacts {
  return certFacts((element as asn1js.BaseBlock).valueBeforeDecodeView);
}

function readFacts(der: Buffer): CertFacts {
  const cert = pkijs.Certificate.fromBER(der);
  const x509 = new X509Certificate(der);
  const problems: string[] = [];
  if (cert.signature.algorithmId !== cert.signatureAlgorithm.algorithmId) {
    problems.push('its two signature algorithm fields differ');
  }
  // The outer algorithm and the signature's bit string lie outside what the signature covers.
  const params: unknown = cert.signatureAlgorithm.algorithmParams;
  if (params !== undefined && !(params instanceof asn1js.Null) && !(params instanceof asn1js.Sequence)) {
    problems.push('its signature algorithm has unexpected parameters');
  }
  if (cert.signatureValue.valueBlock.unusedBits !== 0) problems.push('its signature has unused bits');
  const seen = new Set<string>();
  const extensions: CertFacts['extensions'] = [];
  let keyUsage: CertFacts['keyUsage'] = null;
  let extKeyUsage: CertFacts['extKeyUsage'] = null;
  let basicConstraints: CertFacts['basicConstraints'] = null;
  for (const ext of cert.extensions ?? []) {
    if (seen.has(ext.extnID)) problems.push(`extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    extensions.push({ oid: ext.extnID, critical: ext.critical });
    const value: unknown = ext.parsedValue;
    if (ext.extnID === EXT.keyUsage)
      keyUsage = value instanceof asn1js.BitString ? keyUsageBits(value) : null;
    if (ext.extnID === EXT.extKeyUsage && value instanceof pkijs.ExtKeyUsage) extKeyUsage = value.keyPurposes;
    if (ext.extnID === EXT.basicConstraints && value instanceof pkijs.BasicConstraints) {
      const p = value.pathLenConstraint;
      const pathLen = p === undefined ? undefined : typeof p === 'number' ? p : p.valueBlock.valueDec;
      basicConstraints = { ca: value.cA === true, pathLen };
    }
    if (!value && [EXT.keyUsage, EXT.extKeyUsage, EXT.basicConstraints].some((o) => o === ext.extnID)) {
      problems.push(`extension ${ext.extnID} cannot be read`);
    }
  }
  const details = x509.publicKey.asymmetricKeyDetails ?? {};
  return {
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    cert,
    x509,
    name: /^CN=(.*)$/m.exec(x509.subject)?.[1] ?? x509.subject.replace(/\n/g, ', '),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    signatureAlgorithm: cert.signatureAlgorithm.algorithmId,
    keyUsage,
    extKeyUsage,
    basicConstraints,
    extensions,
    key: {
      type: x509.publicKey.asymmetricKeyType ?? 'unknown',
      bits: details.modulusLength,
      curve: details.namedCurve,
    },
    problems,
  };
}

function keyUsageBits(bits: asn1js.BitString): Set<KeyUsageBit> {
  const bytes = bits.valueBlock.valueHexView;
  const set = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bytes[i >> 3] ?? 0;
    if (byte & (0x80 >> (i & 7))) set.add(name);
  });
  return set;
}

export function validAt(c: CertFacts, t: Date): boolean {
  return t.getTime() >= c.notBefore.getTime() && t.getTime() <= c.notAfter.getTime();
}

/** Same subject and same key: the same signer, whichever certificate of theirs was used. */
export function sameSigner(a: CertFacts, b: CertFacts): boolean {
  return (
    a.fingerprint === b.fingerprint ||
    a.x509.subject === b.x509.subject ||
    a.x509.publicKey.equals(b.x509.publicKey)
  );
}

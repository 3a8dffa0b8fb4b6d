import { X509Certificate } from 'node:crypto';
import { Tag, children, content, decodeOid, expectTag, readTlv, whole, type Tlv } from '../pki/der.js';

/**
 * What the verifier needs from a certificate that node's X509Certificate does not expose: the
 * raw issuer Name and serial (to match the CMS signer identifier byte for byte) and the
 * keyUsage bits (node only offers extended key usage, confusingly named `keyUsage`).
 */

export interface CertInfo {
  der: Buffer;
  x509: X509Certificate;
  issuer: Buffer;
  serial: Buffer;
  /** null when the certificate has no keyUsage extension. */
  keyUsage: Set<KeyUsageBit> | null;
  /** null when the certificate has no extKeyUsage extension. */
  extKeyUsage: string[] | null;
}

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

export const EKU = {
  emailProtection: '1.3.6.1.5.5.7.3.4',
  any: '2.5.29.37.0',
} as const;

const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';

/**
 * Parsing a certificate costs node ~0.13 ms, more than the RSA check; a batch of certificates
 * from one technician carries the same two certificates each time, so parses are reused.
 * Only immutable facts are cached; validity is judged per signature.
 */
const cache = new Map<string, CertInfo>();
const CACHE_LIMIT = 256;

export function certInfoCached(der: Buffer): CertInfo {
  const key = der.toString('base64');
  let info = cache.get(key);
  if (!info) {
    info = certInfo(Buffer.from(der));
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, info);
  }
  return info;
}

export function certInfo(der: Buffer): CertInfo {
  const x509 = new X509Certificate(der);
  const cert = expectTag(readTlv(der, 0), Tag.Sequence, 'Certificate');
  const tbs = children(der, expectTag(children(der, cert)[0], Tag.Sequence, 'TBSCertificate'));
  const offset = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const serial = content(der, expectTag(tbs[offset], Tag.Integer, 'serialNumber'));
  const issuer = whole(der, expectTag(tbs[offset + 2], Tag.Sequence, 'issuer'));
  const exts = extensions(
    der,
    tbs.find((t) => t.tag === 0xa3),
  );
  const ku = exts.get(OID_KEY_USAGE);
  const eku = exts.get(OID_EXT_KEY_USAGE);
  return {
    der,
    x509,
    issuer,
    serial,
    keyUsage: ku ? keyUsageBits(ku) : null,
    extKeyUsage: eku ? children(eku, readTlv(eku, 0)).map((t) => decodeOid(content(eku, t))) : null,
  };
}

/** Extension OID -> the extnValue OCTET STRING's content. */
function extensions(der: Buffer, wrapper: Tlv | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!wrapper) return out;
  const list = expectTag(children(der, wrapper)[0], Tag.Sequence, 'extensions');
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const id = decodeOid(content(der, expectTag(parts[0], Tag.Oid, 'extnID')));
    out.set(id, content(der, expectTag(parts[parts.length - 1], Tag.OctetString, 'extnValue')));
  }
  return out;
}

function keyUsageBits(value: Buffer): Set<KeyUsageBit> {
  const bits = content(value, expectTag(readTlv(value, 0), Tag.BitString, 'keyUsage'));
  const set = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bits[1 + (i >> 3)] ?? 0;
    if (byte & (0x80 >> (i & 7))) set.add(name);
  });
  return set;
}

/** notBefore <= t <= notAfter. node 20's X509Certificate gives the dates as strings. */
export function validAt(x509: X509Certificate, t: Date): boolean {
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  if (Number.isNaN(from) || Number.isNaN(to)) return false;
  return t.getTime() >= from && t.getTime() <= to;
}

import {
  DerError,
  Tag,
  children,
  content,
  decodeOid,
  expectTag,
  readTlv,
  whole,
  type Tlv,
} from '../pki/der.js';

/**
 * Reads a detached CMS SignedData (RFC 5652 s.5) with one signer, keeping the exact bytes the
 * signature covers. Strict on purpose: every byte of the .p7s either feeds a check or must have
 * the one value posdecom writes, so tampering anywhere in the file is noticed.
 *
 *   ContentInfo { signedData, [0] SignedData {
 *     version 1, digestAlgorithms {sha256}, encapContentInfo {data (no content: detached)},
 *     [0] certificates, signerInfos { SignerInfo {
 *       version 1, issuerAndSerialNumber, sha256, [0] signedAttrs, rsaEncryption, signature } } } }
 */

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

export interface ParsedSignedData {
  certificates: Buffer[];
  signer: {
    /** DER of the issuer Name, compared byte for byte with the certificate's. */
    issuer: Buffer;
    /** Content octets of the serial number INTEGER. */
    serial: Buffer;
    /** The signed attributes as signed: the [0] IMPLICIT tag replaced by SET OF (0x31). */
    signedAttrs: Buffer;
    /** Attribute OID -> DER of each value. */
    attributes: Map<string, Buffer[]>;
    signatureAlgorithm: string;
    signature: Buffer;
  };
}

export function parseSignedData(der: Uint8Array): ParsedSignedData {
  const top = expectTag(readTlv(der, 0), Tag.Sequence, 'ContentInfo');
  if (top.end !== der.length) throw new DerError('trailing bytes after ContentInfo');
  const [ctype, explicit, ...extraTop] = children(der, top);
  if (oidOf(der, ctype, 'contentType') !== OID.signedData) throw new DerError('not a SignedData');
  if (extraTop.length > 0) throw new DerError('unexpected fields in ContentInfo');
  const sdWrap = expectTag(explicit, 0xa0, 'SignedData wrapper');
  const [sd, ...extraWrap] = children(der, sdWrap);
  if (extraWrap.length > 0) throw new DerError('unexpected fields around SignedData');
  const fields = children(der, expectTag(sd, Tag.Sequence, 'SignedData'));

  let i = 0;
  expectSmallInt(der, fields[i++], 1, 'SignedData version');
  const digestAlgs = children(der, expectTag(fields[i++], Tag.Set, 'digestAlgorithms'));
  if (digestAlgs.length !== 1) throw new DerError('expected exactly one digest algorithm');
  expectAlgorithm(der, digestAlgs[0], [OID.sha256], 'digestAlgorithms');
  const encap = children(der, expectTag(fields[i++], Tag.Sequence, 'encapContentInfo'));
  if (oidOf(der, encap[0], 'eContentType') !== OID.data)
    throw new DerError('encapsulated content is not data');
  if (encap.length !== 1) throw new DerError('content is embedded; posdecom signatures are detached');

  const certificates: Buffer[] = [];
  if (fields[i]?.tag === 0xa0) {
    for (const c of children(der, fields[i++] as Tlv)) {
      certificates.push(Buffer.from(whole(der, expectTag(c, Tag.Sequence, 'certificate'))));
    }
  }
  if (fields[i]?.tag === 0xa1) throw new DerError('CRLs in the SignedData are not supported');
  const signerInfos = children(der, expectTag(fields[i++], Tag.Set, 'signerInfos'));
  if (i !== fields.length) throw new DerError('unexpected fields in SignedData');
  if (signerInfos.length !== 1) throw new DerError(`expected one signer, found ${signerInfos.length}`);
  return { certificates, signer: parseSignerInfo(der, signerInfos[0] as Tlv) };
}

function parseSignerInfo(der: Uint8Array, si: Tlv): ParsedSignedData['signer'] {
  const f = children(der, expectTag(si, Tag.Sequence, 'SignerInfo'));
  expectSmallInt(der, f[0], 1, 'SignerInfo version');
  const sid = children(der, expectTag(f[1], Tag.Sequence, 'issuerAndSerialNumber'));
  const issuer = whole(der, expectTag(sid[0], Tag.Sequence, 'issuer'));
  const serial = content(der, expectTag(sid[1], Tag.Integer, 'serialNumber'));
  if (sid.length !== 2) throw new DerError('bad issuerAndSerialNumber');
  expectAlgorithm(der, f[2], [OID.sha256], 'SignerInfo digestAlgorithm');
  const attrsTlv = expectTag(f[3], 0xa0, 'signedAttrs');
  const signatureAlgorithm = expectAlgorithm(
    der,
    f[4],
    [OID.rsaEncryption, OID.sha256WithRSA],
    'signatureAlgorithm',
  );
  const signature = content(der, expectTag(f[5], Tag.OctetString, 'signature'));
  if (f.length !== 6) throw new DerError('unsigned attributes are not accepted');

  const signedAttrs = Buffer.from(whole(der, attrsTlv));
  signedAttrs[0] = Tag.Set;
  const attributes = new Map<string, Buffer[]>();
  for (const attr of children(der, attrsTlv)) {
    const [type, values, ...rest] = children(der, expectTag(attr, Tag.Sequence, 'attribute'));
    const oid = oidOf(der, type, 'attribute type');
    if (rest.length > 0 || attributes.has(oid)) throw new DerError(`malformed or repeated attribute ${oid}`);
    attributes.set(
      oid,
      children(der, expectTag(values, Tag.Set, 'attribute values')).map((v) => whole(der, v)),
    );
  }
  return { issuer, serial, signedAttrs, attributes, signatureAlgorithm, signature };
}

function oidOf(der: Uint8Array, t: Tlv | undefined, what: string): string {
  return decodeOid(content(der, expectTag(t, Tag.Oid, what)));
}

/** AlgorithmIdentifier with absent or NULL parameters, as RFC 5754 / RFC 8017 allow. */
function expectAlgorithm(der: Uint8Array, t: Tlv | undefined, allowed: string[], what: string): string {
  const [alg, params, ...rest] = children(der, expectTag(t, Tag.Sequence, what));
  const oid = oidOf(der, alg, what);
  if (!allowed.includes(oid)) throw new DerError(`${what}: unsupported algorithm ${oid}`);
  if (rest.length > 0 || (params && (params.tag !== Tag.Null || params.end !== params.contentStart))) {
    throw new DerError(`${what}: unexpected parameters`);
  }
  return oid;
}

function expectSmallInt(der: Uint8Array, t: Tlv | undefined, value: number, what: string): void {
  const c = content(der, expectTag(t, Tag.Integer, what));
  if (c.length !== 1 || c[0] !== value) throw new DerError(`${what}: expected ${value}`);
}

/** signingTime (RFC 5652 s.11.3): UTCTime before 2050, GeneralizedTime from 2050. */
export function decodeTime(der: Uint8Array): Date {
  const t = readTlv(der, 0);
  const s = content(der, t).toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === Tag.UtcTime && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return utc(yy < 50 ? 2000 + yy : 1900 + yy, m);
  }
  if (t.tag === Tag.GeneralizedTime && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    return utc(Number(m[1]), m);
  }
  throw new DerError('signingTime is not a DER time');
}

function utc(year: number, m: RegExpExecArray): Date {
  const n = (k: number) => Number(m[k]);
  return new Date(Date.UTC(year, n(2) - 1, n(3), n(4), n(5), n(6)));
}

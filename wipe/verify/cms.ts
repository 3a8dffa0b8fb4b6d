import * as asn1js from 'asn1js';
import { pkijs } from '../pki/pkijs.js';
import { certFactsOf, type CertFacts } from './certs.js';

/**
 * Reads a detached CMS SignedData (RFC 5652 s.5) with pkijs and holds it to the profile
 * posdecom signs with, so that every byte of the .p7s either feeds a check or must have the one
 * value posdecom writes: exact DER, version 1, one digest algorithm (the signer's), data content
 * left out (detached), certificates only, no CRLs, one signer named by issuer and serial, signed
 * attributes each with one value, no unsigned attributes.
 *
 * Speed, for batches (`posdecom report`): pkijs's `new SignedData({schema})` re-matches every
 * carried certificate against its schema, milliseconds each. Everything before the signer info
 * (framing, algorithms, certificates) is the same, byte for byte, in every signature one
 * technician makes, so that part is read once, checked, and remembered as a skeleton; a later
 * signature that starts with exactly those bytes only has its signer info read.
 */

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

export class CmsProfileError extends Error {
  override readonly name = 'CmsProfileError';
}

export interface SignedMessage {
  /** Rebuilt from the parts read, for pkijs's verify(). */
  signedData: pkijs.SignedData;
  certificates: CertFacts[];
  signerInfo: pkijs.SignerInfo;
  digestAlgorithm: string;
  /** Attribute OID -> its single value. */
  attributes: Map<string, asn1js.AsnType>;
}

interface Skeleton {
  /** The bytes before the signerInfos SET. */
  prefix: Buffer;
  /** The whole file's length, which the prefix's outer lengths state. */
  total: number;
  digestAlgorithms: pkijs.AlgorithmIdentifier[];
  encap: pkijs.EncapsulatedContentInfo;
  certificates: CertFacts[];
}

const skeletons: Skeleton[] = [];
const SKELETON_LIMIT = 64;

export function readSignedMessage(p7s: Uint8Array): SignedMessage {
  const bytes = Buffer.from(p7s.buffer, p7s.byteOffset, p7s.byteLength);
  const known = skeletons.find(
    (s) => s.total === bytes.length && bytes.subarray(0, s.prefix.length).equals(s.prefix),
  );
  if (known) return assemble(known, parseDer(bytes.subarray(known.prefix.length), 'signerInfos'));
  const { skeleton, signerSet } = readSkeleton(bytes);
  if (skeletons.length >= SKELETON_LIMIT) skeletons.shift();
  skeletons.push(skeleton);
  return assemble(skeleton, signerSet);
}

function readSkeleton(bytes: Buffer): { skeleton: Skeleton; signerSet: asn1js.AsnType } {
  const ci = read(() => new pkijs.ContentInfo({ schema: parseDer(bytes, 'ContentInfo') }), 'ContentInfo');
  if (ci.contentType !== OID.signedData) throw new CmsProfileError('not a SignedData');
  if (!(ci.content instanceof asn1js.Sequence)) throw new CmsProfileError('SignedData is not a SEQUENCE');
  const fields = [...ci.content.valueBlock.value];

  const version = fields.shift();
  if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 1)
    throw new CmsProfileError('SignedData version is not 1');
  const digestSet = fields.shift();
  if (!(digestSet instanceof asn1js.Set) || digestSet.valueBlock.value.length !== 1)
    throw new CmsProfileError('expected exactly one digest algorithm');
  const digestAlgorithms = digestSet.valueBlock.value.map((a) =>
    read(() => new pkijs.AlgorithmIdentifier({ schema: a }), 'digestAlgorithms'),
  );
  const encap = read(() => new pkijs.EncapsulatedContentInfo({ schema: fields.shift() }), 'content info');
  if (encap.eContentType !== OID.data) throw new CmsProfileError('the signed content is not "data"');
  if (encap.eContent) throw new CmsProfileError('content is embedded; posdecom signatures are detached');

  const certificates: CertFacts[] = [];
  if (isContext(fields[0], 0)) {
    for (const c of (fields.shift() as asn1js.Constructed).valueBlock.value) {
      const facts = read(() => certFactsOf(c), 'a carried certificate');
      if (facts.problems.length > 0)
        throw new CmsProfileError(`certificate ${facts.name}: ${facts.problems.join('; ')}`);
      certificates.push(facts);
    }
  }
  if (isContext(fields[0], 1)) throw new CmsProfileError('CRLs inside the signature are not accepted');
  const signerSet = fields.shift();
  if (!(signerSet instanceof asn1js.Set) || fields.length > 0)
    throw new CmsProfileError('unexpected fields in SignedData');
  const prefix = Buffer.from(bytes.subarray(0, bytes.length - signerSet.valueBeforeDecodeView.byteLength));
  return { skeleton: { prefix, total: bytes.length, digestAlgorithms, encap, certificates }, signerSet };
}

function assemble(s: Skeleton, signerSet: asn1js.AsnType): SignedMessage {
  if (!(signerSet instanceof asn1js.Set)) throw new CmsProfileError('signerInfos is not a SET');
  if (signerSet.valueBlock.value.length !== 1)
    throw new CmsProfileError(`expected one signer, found ${signerSet.valueBlock.value.length}`);
  const signerInfo = read(
    () => new pkijs.SignerInfo({ schema: signerSet.valueBlock.value[0] }),
    'SignerInfo',
  );
  const attributes = checkSignerInfo(signerInfo, s.digestAlgorithms[0]);
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: s.digestAlgorithms,
    encapContentInfo: s.encap,
    certificates: s.certificates.map((c) => c.cert),
    signerInfos: [signerInfo],
  });
  const digestAlgorithm = signerInfo.digestAlgorithm.algorithmId;
  return { signedData, certificates: s.certificates, signerInfo, digestAlgorithm, attributes };
}

function checkSignerInfo(
  si: pkijs.SignerInfo,
  declared: pkijs.AlgorithmIdentifier | undefined,
): Map<string, asn1js.AsnType> {
  if (si.version !== 1) throw new CmsProfileError('SignerInfo version is not 1');
  if (!(si.sid instanceof pkijs.IssuerAndSerialNumber))
    throw new CmsProfileError('the signer is not named by issuer and serial number');
  if (si.unsignedAttrs) throw new CmsProfileError('unsigned attributes are not accepted');
  if (!si.signedAttrs) throw new CmsProfileError('no signed attributes');
  for (const alg of [si.digestAlgorithm, si.signatureAlgorithm, declared]) {
    if (alg && !nullOrAbsentParams(alg) && !(alg.algorithmParams instanceof asn1js.Sequence))
      throw new CmsProfileError(`algorithm ${alg.algorithmId}: unexpected parameters`);
  }
  if (declared?.algorithmId !== si.digestAlgorithm.algorithmId || !nullOrAbsentParams(si.digestAlgorithm))
    throw new CmsProfileError("the declared digest algorithm is not the signer's");
  const attributes = new Map<string, asn1js.AsnType>();
  for (const a of si.signedAttrs.attributes) {
    if (attributes.has(a.type) || a.values.length !== 1)
      throw new CmsProfileError(`malformed or repeated attribute ${a.type}`);
    attributes.set(a.type, a.values[0] as asn1js.AsnType);
  }
  return attributes;
}

/**
 * One DER element filling `bytes` exactly. asn1js accepts a constructed element whose length
 * disagrees with its children, and BER's indefinite lengths; re-encoding does neither, so any
 * framing byte that is not exactly DER shows as a difference.
 */
function parseDer(bytes: Buffer, what: string): asn1js.AsnType {
  const asn = asn1js.fromBER(bytes);
  if (asn.offset === -1 || asn.result.error)
    throw new CmsProfileError(`${what} is not DER: ${asn.result.error}`);
  if (asn.offset !== bytes.length) throw new CmsProfileError(`trailing bytes after ${what}`);
  assertDefiniteLengths(asn.result);
  if (!Buffer.from(asn.result.toBER(false)).equals(bytes)) throw new CmsProfileError(`${what} is not DER`);
  return asn.result;
}

function assertDefiniteLengths(el: asn1js.AsnType, depth = 0): void {
  if (depth > 32) throw new CmsProfileError('nested too deeply');
  if (el.lenBlock.isIndefiniteForm) throw new CmsProfileError('indefinite length (BER, not DER)');
  const value = (el as unknown as { valueBlock: { value?: unknown } }).valueBlock.value;
  if (el.idBlock.isConstructed && Array.isArray(value))
    for (const child of value as asn1js.AsnType[]) assertDefiniteLengths(child, depth + 1);
}

/** RFC 5754 / RFC 8017: an AlgorithmIdentifier's parameters are absent or NULL. */
export function nullOrAbsentParams(alg: pkijs.AlgorithmIdentifier): boolean {
  return alg.algorithmParams === undefined || alg.algorithmParams instanceof asn1js.Null;
}

function isContext(el: asn1js.AsnType | undefined, tag: number): boolean {
  return !!el && el.idBlock.tagClass === 3 && el.idBlock.tagNumber === tag && el.idBlock.isConstructed;
}

function read<T>(make: () => T, what: string): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof CmsProfileError) throw err;
    throw new CmsProfileError(`${what} cannot be read: ${(err as Error).message}`);
  }
}

/** signingTime (RFC 5652 s.11.3) as a Date, or undefined when the attribute is absent or not a time. */
export function signingTimeOf(m: SignedMessage): Date | undefined {
  const v = m.attributes.get(OID.signingTime);
  if (v instanceof asn1js.UTCTime || v instanceof asn1js.GeneralizedTime) {
    const d = v.toDate();
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/**
 * The layout of a posdecom backup file: CMS AuthEnvelopedData (RFC 5083) carrying AES-256-GCM
 * content (RFC 5084) and one RSAES-OAEP key transport recipient (RFC 3560, RFC 8017).
 *
 *   30 80                                 ContentInfo                       (indefinite)
 *     06 id-ct-authEnvelopedData
 *     a0 80                               [0] EXPLICIT                      (indefinite)
 *       30 80                             AuthEnvelopedData                 (indefinite)
 *         02 01 00                        version 0
 *         31 ..  KeyTransRecipientInfo    version 0, issuerAndSerialNumber, RSAES-OAEP, wrapped key
 *         30 80                           EncryptedContentInfo              (indefinite)
 *           06 id-data
 *           30 .. id-aes256-GCM { nonce(12), icvLen 16 }
 *           a0 80                         [0] IMPLICIT OCTET STRING, constructed (indefinite)
 *             04 len chunk ...            one primitive OCTET STRING per <= 64 KiB of ciphertext
 *           00 00
 *         00 00
 *         04 10 tag                       mac: the GCM tag, known only after the last chunk
 *       00 00 | 00 00 | 00 00
 *
 * Indefinite lengths are what let the file be written in one pass: nothing before the ciphertext
 * depends on its size, and the MAC follows the content. No authAttrs, so the GCM AAD is empty.
 */
import {
  EOC,
  MalformedDer,
  Tag,
  children,
  derLength,
  ctxCons,
  decodeOid,
  decodeUint,
  expectTag,
  indefinite,
  oid,
  readTlv,
  seq,
  tlv,
  uint,
} from './der.js';
import type { Tlv } from './der.js';

export const OID = {
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  data: '1.2.840.113549.1.7.1',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const CEK_BYTES = 32;
/** Ciphertext bytes per primitive OCTET STRING in the files we write (the reader takes any size). */
export const CHUNK_BYTES = 64 * 1024;

/** RSAES-OAEP-params with SHA-256 and MGF1-SHA-256; the empty label is the DEFAULT, so omitted. */
function oaepAlgorithm(): Buffer {
  // Hash AlgorithmIdentifiers without parameters, as openssl 3 writes them (RFC 5754 s.2).
  const sha256 = seq(oid(OID.sha256));
  return seq(oid(OID.rsaesOaep), seq(tlv(ctxCons(0), sha256), tlv(ctxCons(1), seq(oid(OID.mgf1), sha256))));
}

/**
 * RecipientInfos holding one KeyTransRecipientInfo addressed by issuerAndSerialNumber (version 0),
 * which openssl's `-recip CERT` matches against the certificate's issuer and serial.
 */
export function recipientInfos(issuerDer: Buffer, serialDer: Buffer, encryptedKey: Buffer): Buffer {
  const ktri = seq(uint(0), seq(issuerDer, serialDer), oaepAlgorithm(), tlv(Tag.OctetString, encryptedKey));
  return tlv(Tag.Set, ktri);
}

/** Everything up to and including the opening of the constructed encryptedContent. */
export function streamHeader(recipients: Buffer, nonce: Buffer): Buffer {
  const gcm = seq(oid(OID.aes256Gcm), seq(tlv(Tag.OctetString, nonce), uint(TAG_BYTES)));
  return Buffer.concat([
    indefinite(Tag.Sequence),
    oid(OID.authEnvelopedData),
    indefinite(ctxCons(0)),
    indefinite(Tag.Sequence),
    uint(0),
    recipients,
    indefinite(Tag.Sequence),
    oid(OID.data),
    gcm,
    indefinite(ctxCons(0)),
  ]);
}

export function chunkHeader(length: number): Buffer {
  return Buffer.concat([Buffer.from([Tag.OctetString]), derLength(length)]);
}

/** Closes encryptedContent and EncryptedContentInfo, writes the MAC, closes the three outer values. */
export function streamTrailer(mac: Buffer): Buffer {
  return Buffer.concat([EOC, EOC, tlv(Tag.OctetString, mac), EOC, EOC, EOC]);
}

// ---- parsing the small parts of a file being decrypted ----

function isSha256(t: Tlv): boolean {
  if (t.tag !== Tag.Sequence) return false;
  const [alg, params] = children(t.value, 2);
  // RFC 4055 wrote NULL parameters, RFC 5754 absent ones: accept both, nothing else.
  const paramsOk = params === undefined || (params.tag === Tag.Null && params.value.length === 0);
  return alg !== undefined && decodeOid(alg) === OID.sha256 && paramsOk;
}

/** True when the algorithm is RSAES-OAEP with SHA-256, MGF1-SHA-256 and the empty label. */
function isOaepSha256(algId: Tlv): boolean {
  const [alg, params] = children(expectTag(algId, Tag.Sequence, 'keyEncryptionAlgorithm').value, 2);
  if (alg === undefined || decodeOid(alg) !== OID.rsaesOaep || params?.tag !== Tag.Sequence) return false;
  const fields = children(params.value, 3);
  const hash = fields.find((f) => f.tag === ctxCons(0));
  const mgf = fields.find((f) => f.tag === ctxCons(1));
  if (hash === undefined || mgf === undefined || fields.some((f) => f.tag === ctxCons(2))) return false;
  const mgfAlgId = readTlv(mgf.value);
  if (!isSha256(readTlv(hash.value)) || mgfAlgId.tag !== Tag.Sequence) return false;
  const [mgfAlg, mgfHash] = children(mgfAlgId.value, 2);
  return mgfAlg !== undefined && decodeOid(mgfAlg) === OID.mgf1 && mgfHash !== undefined && isSha256(mgfHash);
}

/** The wrapped keys of every RSAES-OAEP-SHA-256 key transport recipient; other kinds are ignored. */
export function parseRecipientInfos(set: Buffer): Buffer[] {
  const keys: Buffer[] = [];
  for (const ri of children(set, 16)) {
    if (ri.tag !== Tag.Sequence) continue; // kari/kekri/pwri/ori are tagged [1]..[4]
    const [version, , alg, encryptedKey] = children(ri.value, 4);
    if (version === undefined || decodeUint(version) > 2 || alg === undefined) continue;
    if (!isOaepSha256(alg)) continue;
    const key = expectTag(encryptedKey, Tag.OctetString, 'encryptedKey').value;
    if (key.length > 1024) throw new MalformedDer('encryptedKey is larger than an RSA-8192 block');
    keys.push(key);
  }
  return keys;
}

/** The nonce from an id-aes256-GCM AlgorithmIdentifier; only 12-byte nonces and 16-byte tags. */
export function parseGcmAlgorithm(algId: Buffer): Buffer {
  const [alg, params] = children(algId, 2);
  if (alg === undefined || decodeOid(alg) !== OID.aes256Gcm) {
    throw new MalformedDer('content is not encrypted with AES-256-GCM');
  }
  const [nonce, icvLen] = children(expectTag(params, Tag.Sequence, 'GCMParameters').value, 2);
  const n = expectTag(nonce, Tag.OctetString, 'GCM nonce').value;
  if (n.length !== NONCE_BYTES) throw new MalformedDer(`GCM nonce is ${n.length} bytes, expected 12`);
  const tagLen = icvLen === undefined ? 12 : decodeUint(icvLen);
  if (tagLen !== TAG_BYTES) throw new MalformedDer(`GCM tag length is ${tagLen}, expected 16`);
  return n;
}

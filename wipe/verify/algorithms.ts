/**
 * Which algorithms a posdecom signature may use, anywhere: in the CMS signer and in every
 * certificate from the signer to the CA. MD5 and SHA-1 are refused (collisions are practical:
 * SHAttered 2017, chosen-prefix 2020), as are RSA keys under 2048 bits and EC curves below
 * P-256 (NIST SP 800-131A rev.2). Unknown algorithms are refused too: a verifier that cannot
 * name an algorithm cannot vouch for it.
 */

export const DIGESTS: Record<string, { name: string; weak: boolean }> = {
  '1.2.840.113549.2.2': { name: 'MD2', weak: true },
  '1.2.840.113549.2.5': { name: 'MD5', weak: true },
  '1.3.14.3.2.26': { name: 'SHA-1', weak: true },
  '2.16.840.1.101.3.4.2.4': { name: 'SHA-224', weak: true },
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', weak: false },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', weak: false },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', weak: false },
};

/** Signature algorithm OID -> its digest OID (null: given by the parameters, RSASSA-PSS). */
export const SIGNATURES: Record<string, { name: string; digest: string | null }> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', digest: '1.2.840.113549.2.2' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', digest: '1.2.840.113549.2.5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', digest: '1.3.14.3.2.26' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', digest: '2.16.840.1.101.3.4.2.4' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', digest: '2.16.840.1.101.3.4.2.1' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', digest: '2.16.840.1.101.3.4.2.2' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', digest: '2.16.840.1.101.3.4.2.3' },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', digest: null },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', digest: '1.3.14.3.2.26' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', digest: '2.16.840.1.101.3.4.2.1' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', digest: '2.16.840.1.101.3.4.2.2' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', digest: '2.16.840.1.101.3.4.2.3' },
};

/** CMS signerInfo.signatureAlgorithm may name the bare key type; the digest is then separate. */
export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** RSASSA-PSS without a hashAlgorithm parameter means SHA-1 (RFC 4055 s.3.1). */
export const PSS_DEFAULT_DIGEST = '1.3.14.3.2.26';

export const MIN_RSA_BITS = 2048;
/** Node's names for the curves of at least 128-bit strength (FIPS 186-5). */
export const ACCEPTED_CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

export function digestName(oid: string): string {
  return DIGESTS[oid]?.name ?? `unknown digest ${oid}`;
}

/** Why a digest may not be used, or undefined when it may. */
export function digestProblem(oid: string): string | undefined {
  const d = DIGESTS[oid];
  if (!d) return `unknown digest algorithm ${oid}`;
  return d.weak ? `${d.name} is not accepted` : undefined;
}

import { X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import forge from 'node-forge';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { decryptPrivateKey, loadPrivateKey } from '../pki/keys.js';
import { forgeSigningKey } from '../pki/keys-forge.js';
import { PKI_FILES, readText } from '../pki/common.js';

/**
 * Detached CMS SignedData (RFC 5652) over the certificate's canonical JSON bytes: SHA-256,
 * RSA PKCS#1 v1.5, signed attributes contentType = data, signingTime and messageDigest, and the
 * signer's certificate plus its issuer chain so a verifier needs only the trusted CA.
 * `openssl cms -verify -binary -content certificate.json` checks it without posdecom.
 */

export type SignerKey = { keyObject: KeyObject } | { keyPem: string; passphrase: string };

export type Signer = SignerKey & {
  certPem: string;
  /** Issuer certificates, nearest first (the contents of chain.pem). */
  chainPems: string[];
  /** Defaults to now; set by tests to sign "in the past". */
  signingTime?: Date;
};

export function signCertificate(jsonBytes: Uint8Array, signer: Signer): Buffer {
  const key = 'keyObject' in signer ? signer.keyObject : decryptPrivateKey(signer.keyPem, signer.passphrase);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(signer.certPem);
  } catch {
    throw new PosdecomError(ErrorCode.KeyUnusable, 'the signing certificate cannot be parsed');
  }
  if (!x509.checkPrivateKey(key)) {
    throw new PosdecomError(
      ErrorCode.KeyUnusable,
      'the signing key does not belong to the signing certificate',
    );
  }
  const oids = forge.pki.oids;
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(Buffer.from(jsonBytes).toString('binary'));
  const cert = forge.pki.certificateFromPem(signer.certPem);
  p7.addCertificate(cert);
  // The trust anchor stays out: the verifier brings its own, and openssl never reads a copy
  // carried in the file, so a damaged copy would be a byte no verifier notices.
  for (const pem of signer.chainPems) if (!isSelfSigned(pem)) p7.addCertificate(pem);
  p7.addSigner({
    key: forgeSigningKey(key),
    certificate: cert,
    digestAlgorithm: oids.sha256 as string,
    // DER sorts a SET OF by encoding; forge keeps the order given, and OpenSSL re-encodes the set
    // before checking the signature, so this order (by encoded length here) must already be DER.
    authenticatedAttributes: [
      { type: oids.contentType as string, value: oids.data as string },
      { type: oids.signingTime as string, value: (signer.signingTime ?? new Date()).toISOString() },
      { type: oids.messageDigest as string },
    ],
  });
  p7.sign({ detached: true });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

function isSelfSigned(pem: string): boolean {
  try {
    const x = new X509Certificate(pem);
    return x.checkIssued(x) && x.verify(x.publicKey);
  } catch {
    return false;
  }
}

/** A technician's signing material from a directory made by `posdecom ca issue`. */
export async function loadSigner(dir: string, passphrase: string): Promise<Signer> {
  const keyObject = await loadPrivateKey(join(dir, PKI_FILES.technicianKey), passphrase);
  const certPem = await readText(join(dir, PKI_FILES.technicianCert));
  const chainPems = splitPem(await readText(join(dir, PKI_FILES.chain)));
  return { keyObject, certPem, chainPems };
}

/** The certificates of a PEM bundle, in file order. */
export function splitPem(bundle: string): string[] {
  return (
    bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => `${p}\n`) ?? []
  );
}

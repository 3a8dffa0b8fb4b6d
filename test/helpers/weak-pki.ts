import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/**
 * Certificates posdecom's own CA would never make, for proving the verifier refuses them:
 * small RSA keys, SHA-1 and MD5 signatures, broken CA constraints, unknown critical extensions.
 * node-forge builds them (it signs with any digest); keys come from node:crypto.
 */

export interface Party {
  name: string;
  certPem: string;
  key: KeyObject;
  forgeKey: forge.pki.rsa.PrivateKey;
  cert: forge.pki.Certificate;
}

export type Digest = 'sha256' | 'sha1' | 'md5';

const DAY = 86_400_000;
let serial = 0x4000;

export interface IssueOptions {
  name: string;
  /** Omit for a self-signed root. */
  issuer?: Party;
  bits?: number;
  digest?: Digest;
  extensions: object[];
  notBefore?: Date;
  notAfter?: Date;
}

export function issue(o: IssueOptions): Party {
  const pair = generateKeyPairSync('rsa', { modulusLength: o.bits ?? 2048 });
  const forgeKey = forge.pki.privateKeyFromPem(
    pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  );
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  cert.serialNumber = `4${(serial++).toString(16).padStart(15, '0')}`;
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 30 * DAY);
  const subject = [
    { name: 'commonName', value: o.name },
    { name: 'organizationName', value: 'Example Retail' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(o.issuer ? o.issuer.cert.subject.attributes : subject);
  const aki = o.issuer ? o.issuer.cert.generateSubjectKeyIdentifier().getBytes() : undefined;
  cert.setExtensions([
    ...o.extensions,
    { name: 'subjectKeyIdentifier' },
    ...(aki ? [{ name: 'authorityKeyIdentifier', keyIdentifier: aki }] : []),
  ]);
  cert.sign(o.issuer?.forgeKey ?? forgeKey, forge.md[o.digest ?? 'sha256'].create());
  return { name: o.name, certPem: forge.pki.certificateToPem(cert), key: pair.privateKey, forgeKey, cert };
}

export function caProfile(o: { pathLen?: number; keyUsage?: object } = {}): object[] {
  return [
    {
      name: 'basicConstraints',
      cA: true,
      ...(o.pathLen !== undefined ? { pathLenConstraint: o.pathLen } : {}),
      critical: true,
    },
    { name: 'keyUsage', critical: true, ...(o.keyUsage ?? { keyCertSign: true, cRLSign: true }) },
  ];
}

export function signerProfile(email = 'weak@example.com'): object[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'extKeyUsage', emailProtection: true },
    { name: 'subjectAltName', altNames: [{ type: 1, value: email }] },
  ];
}

/** An extension no verifier knows, marked critical: RFC 5280 s.4.2 says refuse the certificate. */
export function unknownCriticalExtension(): object {
  const value = forge.asn1.toDer(
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.NULL, false, ''),
  );
  return { id: '1.3.6.1.4.1.55555.1.1', critical: true, value: value.getBytes() };
}

/** A detached CMS signature made by forge alone, so the CMS digest itself can be SHA-1. */
export function forgeSign(
  content: Uint8Array,
  signer: Party,
  chain: Party[],
  digest: Digest,
  at = new Date(),
) {
  const oids = forge.pki.oids;
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(Buffer.from(content).toString('binary'));
  p7.addCertificate(signer.cert);
  for (const c of chain) p7.addCertificate(c.cert);
  p7.addSigner({
    key: signer.forgeKey,
    certificate: signer.cert,
    digestAlgorithm: oids[digest] as string,
    authenticatedAttributes: [
      { type: oids.contentType as string, value: oids.data as string },
      { type: oids.signingTime as string, value: at.toISOString() },
      { type: oids.messageDigest as string },
    ],
  });
  p7.sign({ detached: true });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

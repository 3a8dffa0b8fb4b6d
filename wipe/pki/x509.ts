import { randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { forgePublicKey, forgeSigningKey } from './keys-forge.js';

/**
 * X.509 certificate construction. node:crypto can read certificates but cannot make them, so
 * forge assembles the TBSCertificate and node:crypto signs it (pki/keys-forge.ts).
 *
 * The three profiles are what `openssl cms -verify` accepts without `-purpose any`: its default
 * S/MIME signing purpose wants a CA with basicConstraints CA:TRUE and keyCertSign, and a signer
 * with digitalSignature or nonRepudiation and (when EKU is present) emailProtection.
 */

/** An extension in forge's descriptive form (x509.js `_fillMissingExtensionFields`). */
export type ExtensionSpec = { name: string; critical?: boolean } & Record<string, unknown>;

export interface SubjectSpec {
  commonName: string;
  organisation?: string;
}

export interface CertificateSpec {
  subject: SubjectSpec;
  publicKey: KeyObject;
  /** The issuing CA; omit for a self-signed root. */
  issuer?: { certPem: string; key: KeyObject };
  /** Key used to sign a self-signed root. */
  selfSignKey?: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Profile extensions; subject and authority key identifiers are added by buildCertificate. */
  extensions: ExtensionSpec[];
}

export function caExtensions(): ExtensionSpec[] {
  return [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ];
}

export function technicianExtensions(email: string): ExtensionSpec[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'extKeyUsage', emailProtection: true },
    // rfc822Name (GeneralName [1]); S/MIME ties the signer to this address.
    { name: 'subjectAltName', altNames: [{ type: 1, value: email }] },
  ];
}

export function recipientExtensions(): ExtensionSpec[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', keyEncipherment: true, dataEncipherment: true, critical: true },
    { name: 'extKeyUsage', emailProtection: true },
  ];
}

/** Build and sign a certificate; returns PEM. */
export function buildCertificate(spec: CertificateSpec): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(spec.publicKey);
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const subject = subjectAttributes(spec.subject);
  cert.setSubject(subject);

  let signingKey: KeyObject;
  let authorityKeyId: string;
  if (spec.issuer) {
    const ca = forge.pki.certificateFromPem(spec.issuer.certPem);
    cert.setIssuer(ca.subject.attributes);
    authorityKeyId = forge.util.hexToBytes(issuerKeyIdentifier(ca));
    signingKey = spec.issuer.key;
  } else {
    if (!spec.selfSignKey) throw new Error('a self-signed certificate needs selfSignKey');
    cert.setIssuer(subject);
    authorityKeyId = cert.generateSubjectKeyIdentifier().getBytes();
    signingKey = spec.selfSignKey;
  }
  cert.setExtensions([
    ...spec.extensions,
    // forge computes it as RFC 5280 s.4.2.1.2 method (1): SHA-1 of the public key bits.
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
  ]);
  cert.sign(forgeSigningKey(signingKey), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function issuerKeyIdentifier(ca: forge.pki.Certificate): string {
  const ext = ca.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return ext.subjectKeyIdentifier;
  return ca.generateSubjectKeyIdentifier().toHex();
}

function subjectAttributes(s: SubjectSpec): forge.pki.CertificateField[] {
  // UTF8String, so names such as "Jürgen Müller" are encoded correctly (RFC 5280 s.4.1.2.6).
  const attrs: forge.pki.CertificateField[] = [
    {
      name: 'commonName',
      value: s.commonName,
      valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class,
    },
  ];
  if (s.organisation) {
    attrs.push({
      name: 'organizationName',
      value: s.organisation,
      valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class,
    });
  }
  return attrs;
}

/** 127 random bits, positive and without a leading zero octet (RFC 5280 s.4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

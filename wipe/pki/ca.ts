import { X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { generateRsaKeyPair, loadPrivateKey, writePrivateKey, type RsaBits } from './keys.js';
import { writeFileAtomic } from './fs.js';
import { PKI_FILES, checkEmail, readText, validity } from './common.js';
import { buildCertificate, caExtensions, recipientExtensions, technicianExtensions } from './x509.js';

/**
 * The organisation's small PKI: a root CA, technician signing certificates (the wipe
 * certificate's signer) and the backup recipient certificate (the backup's encryption key).
 * Keys are generated natively and written encrypted (keys.ts); only certificates are public.
 */

interface CommonOptions {
  /** Passphrase for the new private key. */
  passphrase: string;
  keyBits?: RsaBits;
  validityDays?: number;
  /** PBKDF2 iterations for the key file (default keys.ts DEFAULT_KDF_ITERATIONS). */
  iterations?: number;
  now?: Date;
}

export interface CaOptions extends CommonOptions {
  organisation: string;
  commonName?: string;
}

export interface TechnicianOptions extends CommonOptions {
  name: string;
  email: string;
  organisation?: string;
}

export interface RecipientOptions extends CommonOptions {
  name: string;
  organisation?: string;
}

export interface LoadedCa {
  certPem: string;
  key: KeyObject;
  organisation: string | undefined;
}

export async function initCa(outDir: string, o: CaOptions): Promise<{ certPath: string; keyPath: string }> {
  const pair = await generateRsaKeyPair(o.keyBits ?? 3072);
  const certPem = buildCertificate({
    subject: {
      commonName: o.commonName ?? `${o.organisation} decommissioning CA`,
      organisation: o.organisation,
    },
    publicKey: pair.publicKey,
    selfSignKey: pair.privateKey,
    ...validity(o, 3650),
    extensions: caExtensions(),
  });
  const keyPath = join(outDir, PKI_FILES.caKey);
  const certPath = join(outDir, PKI_FILES.caCert);
  await writePrivateKey(keyPath, pair.privateKey, o.passphrase, o.iterations);
  await writeFileAtomic(certPath, certPem, { noClobber: true });
  return { certPath, keyPath };
}

export async function loadCa(caDir: string, passphrase: string): Promise<LoadedCa> {
  const certPath = join(caDir, PKI_FILES.caCert);
  const certPem = await readText(certPath);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch {
    throw new PosdecomError(ErrorCode.UsageBadFile, `${certPath} is not a certificate`, { path: certPath });
  }
  if (!x509.ca) throw new PosdecomError(ErrorCode.UsageBadFile, `${certPath} is not a CA certificate`);
  const key = await loadPrivateKey(join(caDir, PKI_FILES.caKey), passphrase);
  if (!x509.checkPrivateKey(key)) {
    throw new PosdecomError(ErrorCode.KeyUnusable, `the key in ${caDir} does not belong to ${certPath}`);
  }
  const organisation = /^O=(.*)$/m.exec(x509.subject)?.[1];
  return { certPem, key, organisation };
}

export async function issueTechnician(
  ca: LoadedCa,
  outDir: string,
  o: TechnicianOptions,
): Promise<{ certPath: string; keyPath: string; chainPath: string }> {
  checkEmail(o.email);
  const pair = await generateRsaKeyPair(o.keyBits ?? 3072);
  const certPem = buildCertificate({
    subject: { commonName: o.name, organisation: o.organisation ?? ca.organisation },
    publicKey: pair.publicKey,
    issuer: { certPem: ca.certPem, key: ca.key },
    ...validity(o, 730),
    extensions: technicianExtensions(o.email),
  });
  const keyPath = join(outDir, PKI_FILES.technicianKey);
  const certPath = join(outDir, PKI_FILES.technicianCert);
  const chainPath = join(outDir, PKI_FILES.chain);
  await writePrivateKey(keyPath, pair.privateKey, o.passphrase, o.iterations);
  await writeFileAtomic(certPath, certPem);
  await writeFileAtomic(chainPath, ca.certPem);
  return { certPath, keyPath, chainPath };
}

export async function issueRecipient(
  ca: LoadedCa,
  outDir: string,
  o: RecipientOptions,
): Promise<{ certPath: string; keyPath: string }> {
  const pair = await generateRsaKeyPair(o.keyBits ?? 3072);
  const certPem = buildCertificate({
    subject: { commonName: o.name, organisation: o.organisation ?? ca.organisation },
    publicKey: pair.publicKey,
    issuer: { certPem: ca.certPem, key: ca.key },
    ...validity(o, 1825),
    extensions: recipientExtensions(),
  });
  const keyPath = join(outDir, PKI_FILES.recipientKey);
  const certPath = join(outDir, PKI_FILES.recipientCert);
  await writePrivateKey(keyPath, pair.privateKey, o.passphrase, o.iterations);
  await writeFileAtomic(certPath, certPem);
  return { certPath, keyPath };
}

export { PKI_FILES } from './common.js';
export { createOrganisationPki, type OrganisationPki, type OrganisationPkiOptions } from './organisation.js';

import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { encryptPrivateKey, generateRsaKeyPair, type KeyPair, type RsaBits } from './keys.js';
import { PKI_FILES, checkEmail, validity } from './common.js';
import { writeFileAtomic } from './fs.js';
import { buildCertificate, caExtensions, recipientExtensions, technicianExtensions } from './x509.js';

/**
 * A whole organisation PKI in one call, for the demo and for tests: CA, technician signer and
 * backup recipient. Same profiles as the `posdecom ca` commands; the difference is speed. The
 * three keys are generated and encrypted concurrently on libuv's thread pool, and the default
 * key size is 2048 bits (NIST SP 800-57: acceptable through 2030), because a 3072-bit key takes
 * 0.2-1 s to generate and this PKI is thrown away after the demo.
 */

export interface OrganisationPkiOptions {
  passphrase: string;
  technicianName: string;
  technicianEmail: string;
  org: string;
  keyBits?: RsaBits;
  /** PBKDF2 iterations for the three key files (default 600,000). */
  iterations?: number;
  now?: Date;
}

export interface OrganisationPki {
  dir: string;
  caCertPath: string;
  caKeyPath: string;
  technicianCertPath: string;
  technicianKeyPath: string;
  chainPath: string;
  recipientCertPath: string;
  recipientKeyPath: string;
  caCertPem: string;
  technicianCertPem: string;
  recipientCertPem: string;
}

/** Half a new PKI over half an old one would be worse than either, so check all names first. */
async function refuseExisting(dir: string): Promise<void> {
  for (const name of Object.values(PKI_FILES)) {
    const exists = await access(join(dir, name)).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new PosdecomError(
        ErrorCode.UsageInvalid,
        `${join(dir, name)} already exists; refusing to overwrite it`,
      );
    }
  }
}

export async function createOrganisationPki(
  dir: string,
  o: OrganisationPkiOptions,
): Promise<OrganisationPki> {
  checkEmail(o.technicianEmail);
  await refuseExisting(dir);
  const bits = o.keyBits ?? 2048;
  // Each key is encrypted (600,000 PBKDF2 rounds) as soon as it exists, overlapping the others'
  // generation; the certificates need only the public halves and the CA key.
  const pairs = [generateRsaKeyPair(bits), generateRsaKeyPair(bits), generateRsaKeyPair(bits)];
  const encrypted = Promise.all(
    pairs.map((k) => k.then((pair) => encryptPrivateKey(pair.privateKey, o.passphrase, o.iterations))),
  );
  const [ca, tech, recipient] = (await Promise.all(pairs)) as [KeyPair, KeyPair, KeyPair];
  const caCertPem = buildCertificate({
    subject: { commonName: `${o.org} decommissioning CA`, organisation: o.org },
    publicKey: ca.publicKey,
    selfSignKey: ca.privateKey,
    ...validity(o, 3650),
    extensions: caExtensions(),
  });
  const issuer = { certPem: caCertPem, key: ca.privateKey };
  const technicianCertPem = buildCertificate({
    subject: { commonName: o.technicianName, organisation: o.org },
    publicKey: tech.publicKey,
    issuer,
    ...validity(o, 730),
    extensions: technicianExtensions(o.technicianEmail),
  });
  const recipientCertPem = buildCertificate({
    subject: { commonName: `${o.org} backup recipient`, organisation: o.org },
    publicKey: recipient.publicKey,
    issuer,
    ...validity(o, 1825),
    extensions: recipientExtensions(),
  });
  const p = (name: string) => join(dir, name);
  const [caKeyPem, techKeyPem, recipientKeyPem] = (await encrypted) as [string, string, string];
  const secret = { mode: 0o600, noClobber: true };
  await Promise.all([
    writeFileAtomic(p(PKI_FILES.caKey), caKeyPem, secret),
    writeFileAtomic(p(PKI_FILES.technicianKey), techKeyPem, secret),
    writeFileAtomic(p(PKI_FILES.recipientKey), recipientKeyPem, secret),
  ]);
  const noClobber = { noClobber: true };
  await Promise.all([
    writeFileAtomic(p(PKI_FILES.caCert), caCertPem, noClobber),
    writeFileAtomic(p(PKI_FILES.technicianCert), technicianCertPem, noClobber),
    writeFileAtomic(p(PKI_FILES.chain), caCertPem, noClobber),
    writeFileAtomic(p(PKI_FILES.recipientCert), recipientCertPem, noClobber),
  ]);
  return {
    dir,
    caCertPath: p(PKI_FILES.caCert),
    caKeyPath: p(PKI_FILES.caKey),
    technicianCertPath: p(PKI_FILES.technicianCert),
    technicianKeyPath: p(PKI_FILES.technicianKey),
    chainPath: p(PKI_FILES.chain),
    recipientCertPath: p(PKI_FILES.recipientCert),
    recipientKeyPath: p(PKI_FILES.recipientKey),
    caCertPem,
    technicianCertPem,
    recipientCertPem,
  };
}

import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPrivateKey } from '../wipe/pki/keys.js';
import { PKI_FILES, createOrganisationPki, loadCa, type OrganisationPki } from '../wipe/pki/ca.js';
import { certFacts } from '../wipe/verify/certs.js';

const PASSPHRASE = 'organisation pki test';

function openssl(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('openssl', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return r;
}

function text(path: string): string {
  return openssl(['x509', '-in', path, '-noout', '-text']).stdout;
}

describe('createOrganisationPki', () => {
  let dir: string;
  let pki: OrganisationPki;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pki-org-'));
    pki = await createOrganisationPki(dir, {
      passphrase: PASSPHRASE,
      technicianName: 'Jürgen Müller',
      technicianEmail: 'j.mueller@example.com',
      org: 'Example Retail',
    });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes the seven files, private keys with mode 0600', async () => {
    expect((await readdir(dir)).sort()).toEqual(Object.values(PKI_FILES).sort());
    for (const key of [PKI_FILES.caKey, PKI_FILES.technicianKey, PKI_FILES.recipientKey]) {
      expect((await stat(join(dir, key))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(dir, key), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    }
    expect(await readFile(pki.chainPath, 'utf8')).toBe(pki.caCertPem);
  });

  it('makes a CA with critical basicConstraints CA:TRUE, critical keyCertSign + cRLSign and a key identifier', () => {
    const t = text(pki.caCertPath);
    expect(t).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(t).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(t).toContain('Subject Key Identifier');
    expect(new X509Certificate(pki.caCertPem).ca).toBe(true);
  });

  it('makes a technician certificate fit for S/MIME signing, chained by key identifiers', () => {
    const t = text(pki.technicianCertPath);
    expect(t).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(t).toMatch(/Extended Key Usage:\s+E-mail Protection/);
    expect(t).toContain('email:j.mueller@example.com');
    const ca = certFacts(new X509Certificate(pki.caCertPem).raw);
    const tech = certFacts(new X509Certificate(pki.technicianCertPem).raw);
    expect(tech.keyUsage).toEqual(new Set(['digitalSignature', 'nonRepudiation']));
    expect(tech.cert.issuer.isEqual(ca.cert.issuer)).toBe(true); // the CA is self-issued: its issuer is its subject
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text(pki.caCertPath))?.[1];
    expect(t).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`));
    const r = openssl(['verify', '-purpose', 'smimesign', '-CAfile', pki.caCertPath, pki.technicianCertPath]);
    expect(r.stdout).toContain(': OK');
    expect(r.status).toBe(0);
  });

  it('makes a backup recipient certificate for key encipherment', () => {
    const t = text(pki.recipientCertPath);
    expect(t).toMatch(/Key Usage: critical\s+Key Encipherment, Data Encipherment/);
    const r = openssl([
      'verify',
      '-purpose',
      'smimeencrypt',
      '-CAfile',
      pki.caCertPath,
      pki.recipientCertPath,
    ]);
    expect(r.status).toBe(0);
  });

  it('encodes non-ASCII names as UTF-8', () => {
    expect(new X509Certificate(pki.technicianCertPem).subject).toContain('CN=Jürgen Müller');
  });

  it('writes keys that node and openssl both open, and that match their certificates', async () => {
    for (const [keyPath, certPem] of [
      [pki.technicianKeyPath, pki.technicianCertPem],
      [pki.recipientKeyPath, pki.recipientCertPem],
      [pki.caKeyPath, pki.caCertPem],
    ] as const) {
      const key = await loadPrivateKey(keyPath, PASSPHRASE);
      expect(new X509Certificate(certPem).checkPrivateKey(key)).toBe(true);
      const r = openssl(['pkey', '-in', keyPath, '-passin', 'env:PKI_TEST_PASS', '-noout'], {
        PKI_TEST_PASS: PASSPHRASE,
      });
      expect(r.status).toBe(0);
    }
  });

  it('lets loadCa open the CA again to issue more certificates', async () => {
    const ca = await loadCa(dir, PASSPHRASE);
    expect(ca.organisation).toBe('Example Retail');
    await expect(loadCa(dir, 'not the passphrase')).rejects.toThrow(/cannot decrypt/);
  });

  it('refuses to create a second PKI over the first one', async () => {
    await expect(
      createOrganisationPki(dir, {
        passphrase: PASSPHRASE,
        technicianName: 'X',
        technicianEmail: 'x@example.com',
        org: 'Y',
      }),
    ).rejects.toThrow(/already exists/);
  });

  it('refuses an email address that cannot go in rfc822Name', async () => {
    await expect(
      createOrganisationPki(join(dir, 'other'), {
        passphrase: PASSPHRASE,
        technicianName: 'X',
        technicianEmail: 'jürgen@example.com',
        org: 'Y',
      }),
    ).rejects.toThrow(/not a usable email/);
  });
});

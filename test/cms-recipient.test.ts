import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { createEncryptedFileWriter, loadRecipient } from '../wipe/cms/encrypt.js';
import { parseRecipient } from '../wipe/cms/recipient.js';
import { makeCert, makeKeys, openssl, removeDir } from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

let keys: TestKeys;
beforeAll(async () => {
  keys = await makeKeys();
});
afterAll(async () => removeDir(keys.dir));

/** A certificate whose validity ended yesterday, signed by its own (node-generated) key. */
function expiredCertPem(): string {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 30 * 86_400_000);
  cert.validity.notAfter = new Date(Date.now() - 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'expired recipient' }]);
  cert.setIssuer([{ name: 'commonName', value: 'expired recipient' }]);
  cert.setExtensions([{ name: 'keyUsage', keyEncipherment: true }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()));
  return forge.pki.certificateToPem(cert);
}

describe('loadRecipient', () => {
  it('summarises a usable certificate the way openssl prints it', async () => {
    const r = await loadRecipient(keys.certPath);
    const serial = openssl('x509', '-in', keys.certPath, '-noout', '-serial').stdout.trim();
    const fp = openssl('x509', '-in', keys.certPath, '-noout', '-fingerprint', '-sha256').stdout.trim();
    expect(`serial=${r.serialNumber}`).toBe(serial);
    expect(`sha256 Fingerprint=${r.sha256Fingerprint}`).toBe(fp);
    expect(r.subject).toBe('O=posdecom tests, CN=recipient');
    expect(r.certPem).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('accepts a DER certificate', async () => {
    const der = join(keys.dir, 'recipient.der');
    expect(openssl('x509', '-in', keys.certPath, '-outform', 'DER', '-out', der).status).toBe(0);
    expect((await loadRecipient(der)).sha256Fingerprint).toBe(
      (await loadRecipient(keys.certPath)).sha256Fingerprint,
    );
  });

  const refusals: Array<[string, () => Promise<string>, RegExp]> = [
    ['a missing file', async () => join(keys.dir, 'absent.pem'), /file not found/],
    ['a directory', async () => keys.dir, /cannot read it/],
    ['a file that is not a certificate', async () => write('junk.pem', 'hello'), /not an X\.509 certificate/],
    ['a private key instead of a certificate', async () => keys.keyPath, /not an X\.509 certificate/],
    ['an EC certificate', async () => makeCert(keys.dir, 'ec', { newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] }).cert, /key is ec, RSA is required/],
    ['a 1024-bit RSA certificate', async () => makeCert(keys.dir, 'weak', { newkey: ['-newkey', 'rsa:1024'] }).cert, /1024 bits, at least 2048/],
    ['a signing-only certificate', async () => makeCert(keys.dir, 'signer', { ext: 'keyUsage=critical,digitalSignature' }).cert, /keyEncipherment/],
    ['an expired certificate', async () => write('expired.pem', expiredCertPem()), /expired on/],
  ]; // prettier-ignore

  for (const [what, file, message] of refusals) {
    it(`refuses ${what} with one clear line`, async () => {
      const err = await loadRecipient(await file()).then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
      expect(err?.code).toBe(ErrorCode.BackupRecipientMissing);
      expect(err?.message).toMatch(message);
      expect(err?.message).toMatch(/^backup recipient certificate /);
      expect(err?.message).not.toContain('\n');
    });
  }

  it('refuses a certificate that is not valid yet, and the writer checks the recipient too', async () => {
    const past = new Date('2001-01-01T00:00:00Z');
    expect(() => parseRecipient(keys.certPem, 'cert', past)).toThrow(/not valid before/);
    await expect(
      createEncryptedFileWriter(join(keys.dir, 'never.cms'), { certPem: expiredCertPem() }),
    ).rejects.toMatchObject({ code: ErrorCode.BackupRecipientMissing });
  });
});

async function write(name: string, text: string): Promise<string> {
  const p = join(keys.dir, name);
  await writeFile(p, text);
  return p;
}

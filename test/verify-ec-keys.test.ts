import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { sampleIssuedNow } from './helpers/sample-now.js';

/**
 * EC signers, made and signed by openssl (posdecom's own CA issues RSA only): P-256 passes the
 * whole verifier, ECDSA included, and a curve below P-256 fails key-strength.
 */

let dir: string;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
}

/** An EC signer on `curve` issued by the RSA root, and a certificate it signed with openssl cms. */
async function ecSigned(curve: string) {
  openssl(['ecparam', '-name', curve, '-genkey', '-noout', '-out', `${curve}.key`]);
  openssl([
    'req',
    '-new',
    '-key',
    `${curve}.key`,
    '-subj',
    `/CN=EC ${curve} Signer/O=Example Retail`,
    '-out',
    `${curve}.csr`,
  ]);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${curve}.csr`,
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
    ].concat(['-out', `${curve}.pem`, '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'signer']),
  );
  const certPem = await readFile(join(dir, `${curve}.pem`), 'utf8');
  const json = canonicalBytes(buildCertificate(sampleIssuedNow(technicianFromCertificate(certPem))));
  await writeFile(join(dir, `${curve}.json`), json);
  openssl(
    [
      'cms',
      '-sign',
      '-binary',
      '-in',
      `${curve}.json`,
      '-signer',
      `${curve}.pem`,
      '-inkey',
      `${curve}.key`,
    ].concat(['-md', 'sha256', '-outform', 'DER', '-out', `${curve}.p7s`]),
  );
  return { json, p7s: await readFile(join(dir, `${curve}.p7s`)) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-ec-'));
  await writeFile(
    join(dir, 'ext.cnf'),
    [
      '[signer]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,nonRepudiation',
      'extendedKeyUsage=emailProtection',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'root.key',
      '-out',
      'root.pem',
      '-days',
      '30',
    ]
      .concat(['-subj', '/CN=EC Test Root/O=Example Retail'])
      .concat([
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]),
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('EC signers', () => {
  it('accepts a P-256 signer with an ECDSA signature', async () => {
    const { json, p7s } = await ecSigned('prime256v1');
    const r = await verifyCertificate(json, p7s, await readFile(join(dir, 'root.pem'), 'utf8'));
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.checks.find((c) => c.name === 'key-strength')?.detail).toBe('EC P-256, RSA 2048');
  });

  it('refuses a signer on a curve below P-256 under key-strength', async () => {
    const { json, p7s } = await ecSigned('secp224r1');
    const r = await verifyCertificate(json, p7s, await readFile(join(dir, 'root.pem'), 'utf8'));
    // WebCrypto has no P-224 either, so the signature cannot be checked; the policy says why not.
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['signature', 'key-strength']);
    expect(r.checks.find((c) => c.name === 'key-strength')?.detail).toBe(
      'EC secp224r1 Signer has an EC key on secp224r1 (P-256 or stronger required)',
    );
  });
});

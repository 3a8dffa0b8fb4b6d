import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { loadSigner, signCertificate, type Signer } from '../wipe/certificate/sign.js';
import { verifyCertificate } from '../wipe/verify/verify.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

let root: string;
let pki: OrganisationPki;
let signer: Signer;

interface Backup {
  dir: string;
  json: Buffer;
  p7s: Buffer;
}

/** A backup directory in the manifest format of wipe/backup/manifest.ts, and a certificate for it. */
async function makeBackup(
  name: string,
  edit: (stores: Array<Record<string, unknown>>) => void = () => undefined,
  layout: 'flat' | 'job' = 'flat',
): Promise<Backup> {
  const dir = join(root, name);
  const backupDir = layout === 'job' ? join(dir, 'backup') : dir;
  await mkdir(backupDir, { recursive: true });
  const stores: Array<Record<string, unknown>> = [];
  for (const [i, store] of ['journal', 'batch'].entries()) {
    const file = `${String(i + 1).padStart(2, '0')}-${store}.p7m`;
    const bytes = Buffer.from(`ciphertext of ${store}`);
    await writeFile(join(backupDir, file), bytes);
    stores.push({
      name: store,
      file,
      size: 100,
      terminalSha256: sha256(store),
      receivedSha256: sha256(store),
      ciphertextSha256: sha256(bytes),
      status: 'ok',
    });
  }
  edit(stores);
  const manifest = Buffer.from(JSON.stringify({ format: 'posdecom-backup/1', stores }, null, 2) + '\n');
  await writeFile(join(backupDir, 'manifest.json'), manifest);
  const input = sampleIssuedNow(technicianFromCertificate(signer.certPem));
  input.backup = { made: true, location: 'backup/', manifestSha256: sha256(manifest) };
  const json = canonicalBytes(buildCertificate(input));
  return { dir, json, p7s: signCertificate(json, signer) };
}

async function backupCheck(b: Backup, dir = b.dir) {
  const r = await verifyCertificate(b.json, b.p7s, pki.caCertPem, { backupDir: dir });
  const check = r.checks.find((c) => c.name === 'backup');
  return { ok: r.ok, check };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cert-backup-'));
  pki = await createOrganisationPki(join(root, 'pki'), {
    passphrase: 'backup test',
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
  signer = await loadSigner(join(root, 'pki'), 'backup test');
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('verify --backup', () => {
  it('accepts the backup the certificate vouches for', async () => {
    const b = await makeBackup('good');
    const { ok, check } = await backupCheck(b);
    expect(check).toEqual({
      name: 'backup',
      ok: true,
      detail: 'manifest sha256 matches; 2 store file(s) match their ciphertextSha256',
    });
    expect(ok).toBe(true);
  });

  it('accepts a job output directory holding backup/manifest.json', async () => {
    const b = await makeBackup('job', undefined, 'job');
    expect((await backupCheck(b)).ok).toBe(true);
  });

  it('fails when the manifest is not the one the certificate names', async () => {
    const b = await makeBackup('manifest-changed');
    await writeFile(join(b.dir, 'manifest.json'), '{"format":"posdecom-backup/1","stores":[]}');
    const { ok, check } = await backupCheck(b);
    expect(ok).toBe(false);
    expect(check?.detail).toMatch(/the certificate says/);
  });

  it('fails when a store file was changed', async () => {
    const b = await makeBackup('file-changed');
    await writeFile(join(b.dir, '02-batch.p7m'), 'something else');
    const { check } = await backupCheck(b);
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(/^batch: 02-batch\.p7m has sha256 [0-9a-f]{64}, the manifest says/);
  });

  it('fails when a store file is missing', async () => {
    const b = await makeBackup('file-missing');
    await rm(join(b.dir, '01-journal.p7m'));
    expect((await backupCheck(b)).check?.detail).toBe('journal: 01-journal.p7m is missing');
  });

  it.each(['../escape.p7m', '/etc/passwd', 'sub/dir.p7m', '..', 'a\\b.p7m', ''])(
    'refuses the manifest file name %j instead of following it',
    async (file) => {
      const b = await makeBackup(`hostile-${sha256(file).slice(0, 8)}`, (stores) => {
        if (stores[0]) stores[0]['file'] = file;
      });
      const { check } = await backupCheck(b);
      expect(check?.ok).toBe(false);
      expect(check?.detail).toContain('is not a plain file name');
    },
  );

  it('refuses a store file that is a symbolic link', async () => {
    const b = await makeBackup('symlink');
    await rm(join(b.dir, '01-journal.p7m'));
    await symlink(join(root, 'good', '01-journal.p7m'), join(b.dir, '01-journal.p7m'));
    expect((await backupCheck(b)).check?.detail).toBe('journal: 01-journal.p7m is not a regular file');
  });

  it('refuses a store the manifest records as failed', async () => {
    const b = await makeBackup('failed-store', (stores) => {
      if (stores[1]) stores[1]['status'] = 'failed';
    });
    expect((await backupCheck(b)).check?.detail).toBe(
      'batch: the manifest records status "failed", not "ok"',
    );
  });

  it('fails when there is no manifest at all', async () => {
    const b = await makeBackup('no-manifest');
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    expect((await backupCheck(b, empty)).check?.detail).toMatch(/^no manifest\.json in /);
  });
});

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AnyWipeCertificate as WipeCertificate } from '../certificate/schema.js';
import { fail, pass, type Check } from './check.js';

/**
 * Ties an encrypted backup to a certificate: the manifest's digest is in the signed
 * certificate, and the manifest lists each store file's ciphertext digest. So a verified
 * certificate plus this check proves the backup on disk is the one made during the job.
 *
 * The manifest's `file` names are treated as untrusted input: only a plain file name inside
 * the manifest's directory is accepted, never a path, and never a symbolic link.
 */

export const BACKUP_FORMATS = ['posdecom-backup/1', 'posdecom-backup/2'];

interface ManifestStore {
  name?: unknown;
  file?: unknown;
  ciphertextSha256?: unknown;
  status?: unknown;
  /** posdecom-backup/2: the files holding the store (one or more). */
  parts?: unknown;
}

export async function checkBackup(cert: WipeCertificate, dir: string): Promise<Check> {
  const expected = cert.backup.manifestSha256;
  if (!cert.backup.made || expected === null) return fail('backup', 'the certificate records no backup');
  const found = await findManifest(dir);
  if (!found) return fail('backup', `no manifest.json in ${dir} or ${join(dir, 'backup')}`);
  const { path, bytes } = found;
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected)
    return fail('backup', `sha256 of ${path} is ${actual}, the certificate says ${expected}`);

  let manifest: { format?: unknown; stores?: unknown };
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as typeof manifest;
  } catch {
    return fail('backup', `${path} is not JSON`);
  }
  if (!BACKUP_FORMATS.includes(manifest.format as string))
    return fail('backup', `${path} is not a ${BACKUP_FORMATS.join(' or ')} manifest`);
  if (!Array.isArray(manifest.stores)) return fail('backup', `${path} lists no stores`);
  const manifestDir = join(path, '..');
  const problems: string[] = [];
  for (const entry of manifest.stores as ManifestStore[]) {
    const label = typeof entry?.name === 'string' ? entry.name : '(unnamed store)';
    const problem = await checkStoreFile(manifestDir, entry);
    if (problem) problems.push(`${label}: ${problem}`);
  }
  if (problems.length > 0) return fail('backup', problems.join('; '));
  return pass(
    'backup',
    `manifest sha256 matches; ${manifest.stores.length} store file(s) match their ciphertextSha256`,
  );
}

async function findManifest(dir: string): Promise<{ path: string; bytes: Buffer } | undefined> {
  for (const path of [join(dir, 'manifest.json'), join(dir, 'backup', 'manifest.json')]) {
    try {
      return { path, bytes: await readFile(path) };
    } catch {
      // try the next place
    }
  }
  return undefined;
}

/** Each of the store's files (its parts, or its one file) against the manifest's digest. */
async function checkStoreFile(dir: string, entry: ManifestStore): Promise<string | undefined> {
  if (entry?.status === 'ok' && Array.isArray(entry.parts) && entry.parts.length > 0) {
    for (const part of entry.parts as ManifestStore[]) {
      const problem = await checkFile(dir, { ...part, status: 'ok' });
      if (problem) return problem;
    }
    return undefined;
  }
  return checkFile(dir, entry);
}

async function checkFile(dir: string, entry: ManifestStore): Promise<string | undefined> {
  const file = entry?.file;
  if (typeof file !== 'string' || !isPlainName(file))
    return `file ${JSON.stringify(file)} is not a plain file name`;
  if (entry.status !== 'ok') return `the manifest records status ${JSON.stringify(entry.status)}, not "ok"`;
  if (typeof entry.ciphertextSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.ciphertextSha256)) {
    return 'no ciphertextSha256 in the manifest';
  }
  const path = join(dir, file);
  try {
    const st = await lstat(path);
    if (!st.isFile()) return `${file} is not a regular file`;
  } catch {
    return `${file} is missing`;
  }
  const actual = await sha256File(path);
  return actual === entry.ciphertextSha256
    ? undefined
    : `${file} has sha256 ${actual}, the manifest says ${entry.ciphertextSha256}`;
}

function isPlainName(file: string): boolean {
  return (
    file.length > 0 &&
    file.length <= 255 &&
    file !== '.' &&
    file !== '..' &&
    !/[/\\\0]/.test(file) &&
    basename(file) === file
  );
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

import { createCipheriv, createHash, createHmac, scrypt } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeQuietly, writeFileAtomic } from '../backup/atomic-file.js';
import { BlockSketcher, KEY_BYTES } from './sketch.js';

/**
 * Where block sketches live between a store's backup and its erase: `work/<backup file>.sk`,
 * one per store, fsynced, deleted once the final certificate is written.
 *
 * The sketch key is the job's own, never written anywhere: each run derives it again in memory
 * (scrypt) from the decommission authority code, which every run holds and which never reaches
 * DIR, salted with the job id, which never reaches the terminal (fingerprints.ts does the same
 * for its key). So a resumed run compares against the sketches taken before, and the terminal,
 * which knows the authority code, cannot learn which bits are sampled.
 *
 * A sketch holds 256 bits of each block; the file stores them masked (AES-256-CTR under a key
 * derived from the sketch key), so on its own it shows nothing of the plaintext.
 */
const MAGIC = Buffer.from('PDSK1\n', 'latin1');
const HEADER = MAGIC.length + 8;

/** The job's sketcher, from a secret every run of it holds (the authority code) and its id. */
export async function deriveSketcher(secret: string, jobId: string): Promise<BlockSketcher> {
  const salt = `posdecom block sketches/1|${jobId}`;
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, salt, KEY_BYTES, { N: 1 << 14, r: 8, p: 1, maxmem: 32 << 20 }, (err, k) =>
      err ? reject(err) : resolve(k),
    ),
  );
  return new BlockSketcher(key);
}

export function sketchFileName(backupFile: string): string {
  return `${backupFile}.sk`;
}

function mask(sketcher: BlockSketcher, label: string, bytes: Buffer): Buffer {
  const key = createHmac('sha256', sketcher.key).update('posdecom-sketch/1|mask').digest();
  const iv = createHash('sha256').update(label).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(bytes);
}

/** Writes a store's sketches (atomically, fsynced, 0600). */
export async function writeSketches(
  workDir: string,
  backupFile: string,
  sketcher: BlockSketcher,
  sketches: Buffer,
): Promise<void> {
  const body = Buffer.concat([MAGIC, sketcher.keyId, mask(sketcher, backupFile, sketches)]);
  await writeFileAtomic(join(workDir, sketchFileName(backupFile)), body, 0o600);
}

/** A store's sketches, or undefined when there are none or they were made under another key. */
export async function readSketches(
  workDir: string,
  backupFile: string,
  sketcher: BlockSketcher,
): Promise<Buffer | undefined> {
  const file = await readFile(join(workDir, sketchFileName(backupFile))).catch(() => undefined);
  if (!file || file.length < HEADER || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!file.subarray(MAGIC.length, HEADER).equals(sketcher.keyId)) return undefined;
  return mask(sketcher, backupFile, file.subarray(HEADER));
}

/** The sketch files in `dir` (a job's work/), by name. */
export async function sketchFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.sk')).sort();
}

/** Deletes them: once the certificate is written, no erase is left to verify against them. */
export async function deleteSketchFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const n of names) await removeQuietly(join(dir, n));
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeQuietly, writeFileAtomic } from './atomic-file.js';
import { MAX_PARTS, validPartBytes, type BackupPart } from './parts.js';
import { isResumeState, sealState, type ResumeState } from './resume-state.js';
import { isPlainBaseName } from './safe-name.js';

/**
 * The resume checkpoint of a store whose backup is under way: `backup/.NN-name.cms.parts.json`
 * (0600), rewritten atomically (fsynced) after each complete part and before the part counts as
 * complete. It holds what a later run needs to go on: which store and which terminal digest the
 * parts belong to, the recipient they are encrypted to, each part's offset, length, plaintext and
 * file digests, and `state`, what the pipeline needs to go on at the last part's end without
 * reading the store before it again (resume-state.ts: SHA-256 midstate, keyed fingerprints,
 * observer counts, the observers' look-back only sealed). No key and no store content in clear:
 * the content keys died with the run that made the parts; the state key is derived by every run.
 *
 * A later run keeps the parts whose files still hash to their recorded digest (checked without
 * decrypting) and reads on from the last one's end with the state. A checkpoint without a usable
 * state (format 1, torn, changed on disk) makes it re-read the kept range from the terminal
 * instead, to rebuild the SHA-256 and check each part's plaintext digest against the terminal's bytes.
 */
const FORMAT = 'posdecom-backup-checkpoint/2';
const FORMATS: readonly string[] = ['posdecom-backup-checkpoint/1', FORMAT];
const MAX_BYTES = 32 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export interface Checkpoint {
  format: string;
  store: string;
  size: number;
  terminalSha256: string;
  recipientSha256: string;
  partBytes: number;
  parts: BackupPart[];
  /** Absent in format 1 and when the pipeline could not be saved at this boundary. */
  state?: ResumeState;
}

export const checkpointPathFor = (backupDir: string, file: string): string =>
  join(backupDir, `.${file}.parts.json`);

/** Writes it, the state's look-back sealed under `stateKey` (dropped without one), and fsyncs it. */
export async function writeCheckpoint(
  path: string,
  c: Omit<Checkpoint, 'format' | 'state'>,
  resume?: { state: ResumeState; sealed: Buffer; stateKey: Buffer | undefined; ahead?: Buffer | undefined },
): Promise<void> {
  const plain = { format: FORMAT, ...c };
  // Bytes past the part end are plaintext: kept only sealed, so only with a state key.
  const ahead = resume?.stateKey && resume.ahead && resume.ahead.length > 0 ? resume.ahead : undefined;
  const state = resume && (ahead ? { ...resume.state, ahead: ahead.length } : resume.state);
  const sealed = resume && (ahead ? Buffer.concat([resume.sealed, ahead]) : resume.sealed);
  const full = resume && state && sealed ? sealState({ ...plain, state }, sealed, resume.stateKey) : plain;
  await writeFileAtomic(path, `${JSON.stringify(full)}\n`, 0o600);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await removeQuietly(path);
}

/** The checkpoint at `path`, or a reason it cannot be used (undefined: there is none). */
export async function readCheckpoint(path: string): Promise<Checkpoint | { unusable: string } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    if (text.length > MAX_BYTES) throw new Error('too large');
    const c = JSON.parse(text) as Partial<Checkpoint>;
    const ok =
      FORMATS.includes(String(c.format)) &&
      typeof c.store === 'string' &&
      Number.isSafeInteger(c.size) &&
      typeof c.terminalSha256 === 'string' &&
      typeof c.recipientSha256 === 'string' &&
      validPartBytes(c.partBytes ?? 0) &&
      Array.isArray(c.parts) &&
      c.parts.length <= MAX_PARTS &&
      c.parts.every((p, i) => validPart(p, i, c.partBytes!)) &&
      (c.state === undefined || isResumeState(c.state));
    if (!ok) throw new Error('malformed');
    return c as Checkpoint;
  } catch {
    return { unusable: 'its resume checkpoint is unreadable or malformed' };
  }
}

function validPart(p: unknown, i: number, partBytes: number): boolean {
  const x = p as Partial<BackupPart> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    isPlainBaseName(x.file) &&
    x.file.endsWith('.cms') &&
    x.offset === i * partBytes &&
    x.length === partBytes &&
    SHA256.test(String(x.plaintextSha256)) &&
    SHA256.test(String(x.ciphertextSha256))
  );
}

/** SHA-256 of the files' bytes one after another (one file: its digest); undefined if one is unreadable. */
export async function sha256Files(paths: readonly string[]): Promise<string | undefined> {
  const hash = createHash('sha256');
  for (const path of paths) {
    const ok = await new Promise<boolean>((resolve) => {
      createReadStream(path)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', () => resolve(false))
        .on('end', () => resolve(true));
    });
    if (!ok) return undefined;
  }
  return hash.digest('hex');
}

export const sha256File = (path: string): Promise<string | undefined> => sha256Files([path]);

/**
 * The leading parts whose files are on disk with the recorded digest; the first that is missing
 * or differs ends the list (it and what follows are written again).
 */
export async function intactParts(
  backupDir: string,
  parts: readonly BackupPart[],
): Promise<{ kept: BackupPart[]; dropped?: string }> {
  const kept: BackupPart[] = [];
  for (const p of parts) {
    const actual = await sha256File(join(backupDir, p.file));
    if (actual !== p.ciphertextSha256) {
      return {
        kept,
        dropped: `${p.file} ${actual === undefined ? 'is missing' : 'differs from its checkpoint'}`,
      };
    }
    kept.push(p);
  }
  return { kept };
}

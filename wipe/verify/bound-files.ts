import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AnyWipeCertificate as WipeCertificate } from '../certificate/schema.js';
import { fail, pass, type Check } from './check.js';

/**
 * The certificate binds the job's journal, audit log and transcript by digest. Where those files
 * still lie beside certificate.json they must match; a file that is not there is reported as not
 * checked, which is no failure (an auditor is often given the certificate alone).
 */

export const BOUND_FILES = { journal: 'journal.jsonl', auditLog: 'audit.log' } as const;

export async function checkBoundFiles(cert: WipeCertificate, dir: string): Promise<Check> {
  const b = cert.boundFiles;
  const transcriptName = (b as { transcriptFile?: unknown }).transcriptFile;
  const items: Array<[string, string | undefined, string | null]> = [
    ['journal', BOUND_FILES.journal, b.journalSha256],
    ['audit log', BOUND_FILES.auditLog, b.auditLogSha256],
    [
      'transcript',
      typeof transcriptName === 'string' && isPlainName(transcriptName) ? transcriptName : undefined,
      b.transcriptSha256,
    ],
  ];
  const notes: string[] = [];
  const problems: string[] = [];
  for (const [what, name, expected] of items) {
    if (expected === null) {
      notes.push(`${what}: none recorded`);
      continue;
    }
    if (name === undefined) {
      notes.push(`${what}: not checked (its file name is not recorded)`);
      continue;
    }
    const actual = await sha256IfPresent(join(dir, name)).catch(() => null);
    if (actual === undefined) notes.push(`${what}: ${name} not present, not checked`);
    else if (actual === null) problems.push(`${name} is present but cannot be read`);
    else if (actual === expected) notes.push(`${what}: ${name} matches`);
    else problems.push(`${name} has sha256 ${actual}, the certificate says ${expected}`);
  }
  if (problems.length > 0) return fail('bound-files', `${problems.join('; ')}: changed after signing?`);
  return pass('bound-files', notes.join('; '));
}

/** undefined when there is no such regular file; rejects when it cannot be read. */
async function sha256IfPresent(path: string): Promise<string | undefined> {
  try {
    if (!(await lstat(path)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function isPlainName(name: string): boolean {
  return (
    name.length > 0 && name.length <= 255 && !/[/\\\0]/.test(name) && basename(name) === name && name !== '..'
  );
}

import { readdir } from 'node:fs/promises';
import { join, resolve as absolute } from 'node:path';
import { CERTIFICATE_FILES } from '../certificate/files.js';

/**
 * Finds the job directories of an estate: every directory, at any depth, that holds
 * `certificate.json`, or a signature or PDF without it (a job directory that lost its
 * certificate is a row too, not a silent gap). A job directory is not searched further: jobs
 * do not nest, and its backup/ and work/ would cost two reads each for nothing.
 *
 * Symbolic links are not followed, so a link loop cannot make the walk endless and a link
 * cannot pull the same job in twice. A directory that cannot be read is named, never skipped
 * in silence: a certificate may be behind it.
 */

export interface JobRef {
  /** The directory, joined onto the root it was found under (as the user wrote that root). */
  dir: string;
  hasJson: boolean;
  hasSignature: boolean;
  hasPdf: boolean;
  hasBackupDir: boolean;
}

export interface UnreadableDir {
  path: string;
  reason: string;
}

export interface Discovery {
  jobs: JobRef[];
  unreadable: UnreadableDir[];
}

/** Directories read at once: enough to hide the disk's latency, few enough to stay polite. */
const CONCURRENCY = 16;

export async function discoverJobs(roots: string[]): Promise<Discovery> {
  const jobs = new Map<string, JobRef>();
  const unreadable: UnreadableDir[] = [];
  const pending = [...roots];
  const seen = new Set<string>();
  let active = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (active < CONCURRENCY && pending.length > 0) {
        const dir = pending.pop()!;
        // Overlapping roots (estate and ./estate/van-7) must not list a job twice.
        const key = absolute(dir);
        if (seen.has(key)) continue;
        seen.add(key);
        active++;
        void visit(dir).finally(() => {
          active--;
          pump();
        });
      }
      if (active === 0 && pending.length === 0) resolve();
    };
    const visit = async (dir: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        unreadable.push({ path: dir, reason: readError(err) });
        return;
      }
      // A linked certificate file counts as present; the reader follows it (and bounds its size).
      const files = new Set(entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name));
      const job: JobRef = {
        dir,
        hasJson: files.has(CERTIFICATE_FILES.json),
        hasSignature: files.has(CERTIFICATE_FILES.signature),
        hasPdf: files.has(CERTIFICATE_FILES.pdf),
        hasBackupDir: entries.some((e) => e.isDirectory() && e.name === 'backup'),
      };
      if (job.hasJson || job.hasSignature || job.hasPdf) {
        jobs.set(dir, job);
        return;
      }
      for (const e of entries) if (e.isDirectory()) pending.push(join(dir, e.name));
    };
    pump();
  });
  return {
    jobs: [...jobs.values()].sort((a, b) => compare(a.dir, b.dir)),
    unreadable: unreadable.sort((a, b) => compare(a.path, b.path)),
  };
}

/** job-2 before job-10, as a person sorts them; the same order on every machine. */
const collator = new Intl.Collator('en', { numeric: true });

function compare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

import type { Journal } from './journal.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM while `decommission` or `backup` runs: every running job gets an
 * "interrupted by operator" stop entry in its journal (fsynced, like every entry), its port is
 * closed and its lock released, and the process exits 9, the code that says `--resume` completes
 * the job. A store cut mid-backup keeps its complete parts; the torn one is discarded on resume.
 * A second signal while that happens exits at once (the journal entry is already written).
 */
export const INTERRUPTED_EXIT = 9;
const CLOSE_WAIT_MS = 3000;

export interface Interruptible {
  journal(): Journal | undefined;
  close(): Promise<void>;
  release?(): void;
}

const jobs = new Set<Interruptible>();
let stopping = false;

/** Registers a running job; call the result when it has finished. */
export function onInterrupt(job: Interruptible): () => void {
  jobs.add(job);
  return () => jobs.delete(job);
}

/** Installs the SIGINT and SIGTERM handlers for a command's lifetime; call the result to remove them. */
export function installInterruptHandlers(
  stderr: { write(s: string): unknown } = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return exit(INTERRUPTED_EXIT);
    stopping = true;
    const reason = `interrupted by operator (${signal})`;
    for (const job of jobs) {
      try {
        job.journal()?.append('stop', { data: { kind: 'interrupted', reason, signal } });
      } catch {
        // a journal that cannot be written was already reported when it failed
      }
    }
    const closing = Promise.all([...jobs].map((j) => j.close().catch(() => undefined)));
    const timeout = new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref());
    void Promise.race([closing, timeout]).then(() => {
      for (const job of jobs) {
        job.journal()?.close();
        job.release?.();
      }
      stderr.write(`posdecom: ${reason}; run the same command with --resume to continue\n`);
      exit(INTERRUPTED_EXIT);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

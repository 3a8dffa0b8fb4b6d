import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';

/**
 * DIR/journal.jsonl: one JSON object a line, appended and fsynced before the agent acts on it,
 * so a crash at any instant leaves a record of every intent and every result.
 * A torn last line (the crash hit mid-write) is ignored on reading; any other bad line is an error.
 */
export type JournalEntryType = 'job' | 'attest' | 'resume' | 'intent' | 'result' | 'note' | 'stop' | 'done';

export interface JournalEntry {
  n: number;
  at: string;
  type: JournalEntryType;
  step?: string;
  target?: string;
  data?: Record<string, unknown>;
}

export const JOURNAL_FILE = 'journal.jsonl';

export class Journal {
  private fd: number;
  private n: number;

  private constructor(
    readonly path: string,
    fd: number,
    readonly entries: JournalEntry[],
  ) {
    this.fd = fd;
    this.n = entries.length === 0 ? 0 : entries[entries.length - 1]!.n;
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, JOURNAL_FILE));
  }

  static create(dir: string): Journal {
    const path = join(dir, JOURNAL_FILE);
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      throw new PosdecomError(
        ErrorCode.BackupOutputUnusable,
        `cannot create ${path}: ${(err as Error).message}`,
      );
    }
    fsyncDirectory(dir);
    return new Journal(path, fd, []);
  }

  static open(dir: string): Journal {
    const path = join(dir, JOURNAL_FILE);
    const entries = Journal.read(path);
    // Cut a torn tail left by a crash, so the next entry starts on a line of its own.
    const text = readFileSync(path);
    const keep = text.lastIndexOf(0x0a) + 1;
    if (keep < text.length) truncateSync(path, keep);
    const fd = openSync(path, 'a', 0o600);
    return new Journal(path, fd, entries);
  }

  static read(path: string): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read ${path}: ${(err as Error).message}`);
    }
    const lines = text.split('\n');
    const entries: JournalEntry[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        // Only the very last line can be torn by a crash; anything else is damage.
        if (i === lines.length - 1) break;
        throw new PosdecomError(
          ErrorCode.UsageBadFile,
          `${path} line ${i + 1} is damaged; it cannot be resumed safely`,
        );
      }
    }
    return entries;
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  append(type: JournalEntryType, fields: Omit<JournalEntry, 'n' | 'at' | 'type'> = {}): JournalEntry {
    if (this.fd < 0) {
      // Closed once the certificate bound it by digest: a later line would break that binding.
      throw new PosdecomError(
        ErrorCode.WorkflowPrecondition,
        `${this.path} is closed; nothing more is journaled`,
      );
    }
    const entry: JournalEntry = { n: ++this.n, at: new Date().toISOString(), type, ...fields };
    const text = JSON.stringify(entry) + '\n';
    writeSync(this.fd, text);
    fsyncSync(this.fd);
    this.entries.push(entry);
    return entry;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

export function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the file's own fsync still holds.
  }
}

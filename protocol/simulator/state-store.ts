import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, PosdecomError } from '../errors.js';

/**
 * A simulated terminal's non-volatile memory on disk, whatever the terminal: one JSON document,
 * replaced whole. Each simulator brings its own shape and guard; this file keeps the promise
 * that a killed simulator restarted on the same file finds the old state or the new one, never
 * half of one.
 */
export function saveStateFile(path: string, state: unknown): void {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some platforms cannot open a directory for fsync; the rename is still atomic there.
  }
}

/** The saved state, or undefined when there is none yet; malformed files are refused, not repaired. */
export function loadStateFile<T>(
  path: string,
  isState: (v: unknown) => v is T,
  what = 'a simulator state file, or from another version',
): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw badStateFile(path, (err as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badStateFile(path, 'not JSON');
  }
  if (!isState(parsed)) throw badStateFile(path, `not ${what}`);
  return parsed;
}

export function badStateFile(path: string, why: string): PosdecomError {
  return new PosdecomError(ErrorCode.UsageBadFile, `simulator state ${path}: ${why}`, { path });
}

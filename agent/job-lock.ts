import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';

/**
 * One process per job directory: `DIR/posdecom.lock`, created exclusively before the terminal is
 * touched, holding who holds it (pid, host, start time). A second `decommission` or `backup` on
 * the same DIR (a second --resume in another window) stops with one line (exit 6).
 *
 * A lock left by a process that died is taken over, with a note for the journal: on this host
 * when its pid is gone (or now belongs to a process that started after the lock was taken); on
 * another host (DIR on a shared or moved disk) when its heartbeat, the file's mtime refreshed
 * every 30 s while the holder runs, is older than 5 minutes.
 */
export const LOCK_FILE = 'posdecom.lock';
const HEARTBEAT_MS = 30_000;
const STALE_MS = 10 * HEARTBEAT_MS;

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface JobLock {
  /** Set when a stale lock was taken over: what the journal should say. */
  readonly tookOver: (Holder & { why: string }) | undefined;
  release(): void;
}

export function lockJobDir(dir: string, command: string): JobLock {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  let tookOver: (Holder & { why: string }) | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${JSON.stringify(me)}\n`);
      fsyncSync(fd);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST' || attempt > 0) throw lockError(path, err);
    }
    const held = readHolder(path);
    const stale = whyStale(path, held);
    if (stale === undefined) {
      const who = held ? `pid ${held.pid} on ${held.host}, since ${held.startedAt}` : 'an unreadable lock';
      throw new PosdecomError(
        ErrorCode.WorkflowLocked,
        `${dir} is in use by another posdecom (${who}); wait for it to finish, or remove ${path} if that process is gone`,
      );
    }
    tookOver = { ...(held ?? { pid: 0, host: '?', startedAt: '?', command: '?' }), why: stale };
    try {
      unlinkSync(path);
    } catch {
      // another process took it over first: the exclusive create below decides
    }
  }
  const beat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // the directory went away: nothing left to guard
    }
  }, HEARTBEAT_MS);
  beat.unref();
  let released = false;
  return {
    tookOver,
    release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      if (readHolder(path)?.pid === me.pid) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    if (Number.isSafeInteger(h.pid) && typeof h.host === 'string' && typeof h.startedAt === 'string')
      return h as Holder;
  } catch {
    // torn or foreign: judged by its age below
  }
  return undefined;
}

/** Why the lock's holder is gone, or undefined while it may still run. */
function whyStale(path: string, h: Holder | undefined): string | undefined {
  const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  if (h === undefined || h.host !== hostname()) {
    return age > STALE_MS ? `no heartbeat for ${Math.round(age / 1000)} s` : undefined;
  }
  if (!alive(h.pid)) return `process ${h.pid} is not running`;
  const started = processStart(h.pid);
  if (started !== undefined && started > Date.parse(h.startedAt) + 2000)
    return `process ${h.pid} is another program, started after the lock was taken`;
  return undefined;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * When the process started (ms since the epoch), where Linux's /proc tells: field 22 of
 * /proc/PID/stat in clock ticks (100 a second) after the boot time in /proc/stat.
 */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

function lockError(path: string, err: unknown): PosdecomError {
  return new PosdecomError(
    ErrorCode.BackupOutputUnusable,
    `cannot create ${path}: ${(err as Error).message}`,
  );
}

import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../agent/exit-codes.js';
import type { Estate } from '../wipe/report/estate.js';
import { BIN, runCli, type CliResult } from './helpers/cli.js';
import { makeEstate, ofKind, type TestEstate } from './helpers/estate.js';

/**
 * Bad input never stops the report: files that cannot be read, that are far too large or that
 * carry terminal escape sequences are rows with their reason; a directory that cannot be read is
 * named. Bad flags and missing inputs are one-line errors with exit 2.
 */

let estate: TestEstate;

beforeAll(async () => {
  estate = await makeEstate('report-bad-input', ['pass', 'pass', 'pass', 'pass']);
});
afterAll(async () => {
  await chmod(estate.root, 0o755).catch(() => undefined);
  await estate.remove();
});

/**
 * The CLI as a user who is not root: permissions mean nothing to root, so when the tests run
 * as root the report runs as `nobody`, over a copy of the estate that user may read.
 */
async function asUser(args: string[]): Promise<CliResult> {
  const root = process.getuid?.() === 0;
  if (root) await openUp(estate.dir);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** a+rX on everything below `dir`, except what a test locked on purpose (mode 000). */
async function openUp(dir: string): Promise<void> {
  const st = await stat(dir);
  if ((st.mode & 0o777) === 0) return;
  await chmod(dir, st.isDirectory() ? 0o755 : 0o644);
  if (!st.isDirectory()) return;
  for (const name of await readdir(dir)) await openUp(join(dir, name));
}

describe('posdecom report with bad input', () => {
  it('names a directory it cannot read and an unreadable certificate, goes on, and exits 10', async () => {
    const [a, b] = ofKind(estate, 'pass');
    const locked = join(estate.root, 'locked-van');
    await mkdir(join(locked, 'job-x'), { recursive: true });
    await openUp(estate.dir);
    await chmod(locked, 0o000);
    await chmod(join(a!.dir, 'certificate.json'), 0o000);
    try {
      const r = await asUser(['report', estate.root, '--ca', estate.pki.caCertPath, '--json']);
      expect(r.code).toBe(ExitCode.VerifyFailed);
      const e = JSON.parse(r.stdout) as Estate;
      expect(e.unreadable).toEqual([{ path: locked, reason: 'permission denied' }]);
      const row = e.rows.find((x) => x.dir === a!.dir)!;
      expect(row.status).toBe('NOT VERIFIABLE');
      expect(row.problem).toContain('certificate.json: permission denied');
      expect(e.rows.find((x) => x.dir === b!.dir)?.status).toBe('PASS');
      expect(r.stderr).toContain(`Directories that could not be read (1):\n  ${locked}: permission denied`);
    } finally {
      await chmod(locked, 0o755);
      await chmod(join(a!.dir, 'certificate.json'), 0o644);
    }
  });

  it('does not read a certificate.json far larger than any certificate', async () => {
    const job = join(estate.root, 'huge', 'job');
    await mkdir(job, { recursive: true });
    await writeFile(join(job, 'certificate.json'), Buffer.alloc(3 * 1024 * 1024, 0x20));
    const r = await runCli(['report', join(estate.root, 'huge'), '--ca', estate.pki.caCertPath, '--json']);
    const row = (JSON.parse(r.stdout) as Estate).rows[0]!;
    expect(row.status).toBe('NOT VERIFIABLE');
    expect(row.problem).toMatch(
      /^files failed: \S+certificate\.json is too large: 3145728 bytes \(at most 2097152/,
    );
  });

  it('never lets a forged certificate put control characters on the screen', async () => {
    const [, , c] = ofKind(estate, 'pass');
    const path = join(c!.dir, 'certificate.json');
    const original = await readFile(path, 'utf8');
    await writeFile(path, original.replaceAll(c!.serial, '\\u001b]0;owned\\u0007\\u001b[31mRED'));
    try {
      const r = await runCli(['report', c!.dir, '--ca', estate.pki.caCertPath]);
      expect(r.code).toBe(ExitCode.VerifyFailed);
      expect(r.stdout).toContain('?]0;owned??[31mRED');
      const controls = [...r.stdout].filter((ch) => ch < ' ' && ch !== '\n');
      expect(controls).toEqual([]);
    } finally {
      await writeFile(path, original);
    }
  });

  it('shows no default for the directories in --help', async () => {
    const r = await runCli(['report', '--help']);
    expect(r.code).toBe(ExitCode.Success);
    expect(r.stdout).toMatch(/^ {2}dirs +Directories to search/m);
    expect(r.stdout).not.toContain('[default: []]');
    expect(r.stdout).toMatch(/--crl +The CA's CRL/);
  });

  it('refuses a missing directory, a CA that is not a certificate and a bad --jobs with one line and exit 2', async () => {
    const ca = estate.pki.caCertPath;
    const cases: [string[], RegExp][] = [
      [[join(estate.dir, 'nope'), '--ca', ca], /nope: no such file or directory/],
      [[estate.root, '--ca', estate.pki.technicianKeyPath], /is not a PEM certificate/],
      [[estate.root, '--ca', join(estate.dir, 'no-ca.pem')], /cannot read the CA certificate/],
      [[estate.root, '--ca', ca, '--jobs', '0'], /--jobs 0: want a whole number from 1 to 64/],
      [[join(estate.dir, 'pki'), '--ca', ca], /no job directories \(with certificate\.json\) under/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['report', ...args]);
      expect(r.code, args.join(' ')).toBe(ExitCode.Usage);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});

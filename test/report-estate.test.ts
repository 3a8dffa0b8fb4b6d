import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_STATUS } from '../bench/estate.js';
import { ExitCode } from '../agent/exit-codes.js';
import type { Estate } from '../wipe/report/estate.js';
import { runCli } from './helpers/cli.js';
import { makeEstate, ofKind, type TestEstate } from './helpers/estate.js';

/**
 * `posdecom report` over a mixed estate, through the built CLI (so verification really runs in
 * worker threads): every story counted where it belongs, every terminal that is not PASS named
 * with its step or check, duplicates flagged, and the exit code the README promises.
 */

let estate: TestEstate;

beforeAll(async () => {
  estate = await makeEstate('report-estate');
  // Jobs at any depth, and directories that hold no job at all.
  const deep = join(estate.root, 'archive', '2025', 'q4', 'region-north', 'van-7');
  await mkdir(deep, { recursive: true });
  await cp(ofKind(estate, 'pass')[0]!.dir, join(deep, 'job-deep'), { recursive: true });
  await mkdir(join(estate.root, 'empty', 'still-empty'), { recursive: true });
  await writeFile(join(estate.root, 'notes.txt'), 'not a job\n');
});
afterAll(async () => estate.remove());

function report(...args: string[]) {
  return runCli(['report', ...args, '--ca', estate.pki.caCertPath]);
}

async function reportJson(
  ...dirs: string[]
): Promise<{ code: number | null; estate: Estate; stderr: string }> {
  const r = await report(...dirs, '--json');
  return { code: r.code, estate: JSON.parse(r.stdout) as Estate, stderr: r.stderr };
}

describe('posdecom report over a mixed estate', () => {
  it('counts every job where its story belongs, at any depth, and exits 10 because some failed', async () => {
    const { code, estate: e } = await reportJson(estate.root);
    expect(code).toBe(ExitCode.VerifyFailed);
    const expected = { PASS: 1, INCOMPLETE: 0, FAIL: 0, 'NOT VERIFIABLE': 0 }; // the deep copy
    for (const job of estate.jobs) expected[KIND_STATUS[job.kind]]++;
    expect(e.summary.counts).toEqual(expected);
    expect(e.summary.jobs).toBe(estate.jobs.length + 1);
    for (const job of estate.jobs) {
      const row = e.rows.find((r) => r.dir === job.dir);
      expect(row?.status, `${job.kind} ${job.dir}`).toBe(KIND_STATUS[job.kind]);
    }
    expect(e.rows.some((r) => r.dir.endsWith(join('van-7', 'job-deep')))).toBe(true);
  });

  it('names the step or the check behind every terminal that is not PASS, one line each', async () => {
    const r = await report(estate.root);
    const lines = r.stdout.split('\n');
    const reason = (dir: string) => {
      const hits = lines.filter((l) => l.includes(`${dir}:`));
      expect(hits, dir).toHaveLength(1);
      return hits[0]!;
    };
    expect(reason(ofKind(estate, 'fail')[0]!.dir)).toMatch(/^ {2}FAIL .*erase-verification \(saf\): FAIL/);
    expect(reason(ofKind(estate, 'incomplete')[0]!.dir)).toMatch(
      /^ {2}INCOMPLETE .*key-zeroization: UNKNOWN/,
    );
    expect(reason(ofKind(estate, 'tampered')[0]!.dir)).toMatch(/NOT VERIFIABLE .*message-digest.*failed/);
    expect(reason(ofKind(estate, 'truncated')[0]!.dir)).toMatch(/NOT VERIFIABLE .*cms-structure/);
    for (const kind of ['foreign', 'no-signature'] as const) {
      expect(reason(ofKind(estate, kind)[0]!.dir)).toMatch(/files.*certificate\.p7s: no such file/);
    }
    const notPass = estate.jobs.filter((j) => KIND_STATUS[j.kind] !== 'PASS').length;
    expect(r.stdout).toContain(`Not PASS (${notPass} terminals):`);
  });

  it('flags a serial that was decommissioned twice, naming both job directories', async () => {
    const { estate: e } = await reportJson(estate.root);
    const twice = ofKind(estate, 'duplicate')[0]!;
    const first = estate.jobs[estate.jobs.indexOf(twice) - 1]!;
    expect(e.duplicates).toContainEqual({ serial: twice.serial, dirs: [first.dir, twice.dir] });
    const row = e.rows.find((r) => r.dir === twice.dir)!;
    expect(row.duplicateOf).toEqual([first.dir]);
    // The archived copy of the first job is the same terminal too.
    const copied = ofKind(estate, 'pass')[0]!;
    expect(e.duplicates).toContainEqual({
      serial: copied.serial,
      dirs: [expect.stringContaining('job-deep'), copied.dir],
    });
    expect(e.duplicates).toHaveLength(2);
    const text = (await report(estate.root)).stdout;
    expect(text).toContain('Decommissioned more than once (2 serials):');
    const rehearsal = ofKind(estate, 'rehearsal')[0]!;
    expect(text).toContain(
      `Simulated terminals, rehearsals and not device records (1):\n  ${rehearsal.serial}  ${rehearsal.dir}`,
    );
    expect(text).toContain(`${twice.serial}: ${first.dir}, ${twice.dir}`);
  });

  it('exits 11 when every job verified and none failed but some are INCOMPLETE', async () => {
    const dirs = [...ofKind(estate, 'pass'), ...ofKind(estate, 'incomplete')].map((j) => j.dir);
    const { code, estate: e } = await reportJson(...dirs);
    expect(code).toBe(ExitCode.Incomplete);
    expect(e.summary.counts).toEqual({ PASS: 3, INCOMPLETE: 1, FAIL: 0, 'NOT VERIFIABLE': 0 });
  });

  it('exits 0 when every job verified and passed', async () => {
    const { code, estate: e } = await reportJson(...ofKind(estate, 'pass').map((j) => j.dir));
    expect(code).toBe(ExitCode.Success);
    expect(e.summary.counts.PASS).toBe(3);
    expect(e.rows.every((r) => r.problem === null)).toBe(true);
  });

  it('summarises by model and by destination with the same totals as by result', async () => {
    const { estate: e } = await reportJson(estate.root);
    const sum = (groups: { total: number }[]) => groups.reduce((n, g) => n + g.total, 0);
    expect(sum(e.summary.byModel)).toBe(e.summary.jobs);
    expect(sum(e.summary.byDestination)).toBe(e.summary.jobs);
    // The foreign file names no model: it is grouped as unknown, and listed last.
    expect(e.summary.byModel.at(-1)).toMatchObject({ name: '(unknown)', total: 1 });
    const text = (await report(estate.root)).stdout;
    expect(text).toMatch(/model +total +PASS +INCOMPLETE +FAIL +not verifiable/);
    expect(text).toMatch(/destination +total/);
  });

  it('counts a version-1 certificate that says UNKNOWN as INCOMPLETE, never as PASS, and shows its own word', async () => {
    const data = (name: string) => join(fileURLToPath(new URL('./data/', import.meta.url)), name);
    const r = await runCli([
      'report',
      data('certificate-v1-unknown'),
      '--ca',
      data('certificate-v1-unknown/ca.crt.pem'),
      '--json',
    ]);
    expect(r.code).toBe(ExitCode.Incomplete);
    const e = JSON.parse(r.stdout) as Estate;
    expect(e.summary.counts).toEqual({ PASS: 0, INCOMPLETE: 1, FAIL: 0, 'NOT VERIFIABLE': 0 });
    expect(e.rows[0]).toMatchObject({ status: 'INCOMPLETE', overall: 'UNKNOWN' });
    const v1 = await runCli(['report', data('certificate-v1'), '--ca', data('certificate-v1/ca.crt.pem')]);
    expect(v1.code).toBe(ExitCode.Success);
  });

  it('lists every job once when the given directories overlap', async () => {
    const overlapping = [estate.root, join(estate.root, 'technician-0'), `${estate.root}/./technician-1`];
    const { estate: e } = await reportJson(...overlapping);
    expect(e.summary.jobs).toBe(estate.jobs.length + 1);
    expect(new Set(e.rows.map((r) => r.certificateSha256 ?? r.dir)).size).toBe(e.rows.length - 1); // the deep copy
  });

  it('gives the same rows on one thread as on three', async () => {
    const one = await runCli(['report', estate.root, '--ca', estate.pki.caCertPath, '--json', '--jobs', '1']);
    const three = await runCli([
      'report',
      estate.root,
      '--ca',
      estate.pki.caCertPath,
      '--json',
      '--jobs',
      '3',
    ]);
    expect((JSON.parse(one.stdout) as Estate).rows).toEqual((JSON.parse(three.stdout) as Estate).rows);
    expect(one.stderr).toContain('on 1 thread(s)');
    expect(three.stderr).toContain('on 3 thread(s)');
  });

  it('shows its progress as plain lines on stderr when there is no TTY', async () => {
    const { stderr } = await reportJson(estate.root);
    const total = estate.jobs.length + 1;
    expect(stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d verifying ${total} of ${total} certificates \\(100%\\)$`, 'm'),
    );
  });
});

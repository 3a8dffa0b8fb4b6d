import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESTATE_PASSPHRASE } from '../bench/estate.js';
import { ExitCode } from '../agent/exit-codes.js';
import { loadSigner } from '../wipe/certificate/sign.js';
import { issueTechnician, loadCa } from '../wipe/pki/ca.js';
import type { Estate } from '../wipe/report/estate.js';
import type { EstateRow } from '../wipe/report/row.js';
import { writeValidation } from '../wipe/validation/create.js';
import type { Outcome } from '../wipe/validation/record.js';
import { runCli } from './helpers/cli.js';
import { makeEstate, type TestEstate } from './helpers/estate.js';

/**
 * `report` with what the verifier learned on main: a second person's validation fills the
 * validator and outcome columns, a `not-accepted` one counts the terminal as FAIL (NIST SP
 * 800-88 rev.2 s.4.5: results not confirmed are not accepted), a forged or oversized one makes
 * the job not verifiable; `--crl` fails every certificate of a revoked signer.
 */

let estate: TestEstate;
let validatorDir: string;
const NOTE = 'Serial and read-back evidence checked against the work order.';

async function validate(dir: string, outcome: Outcome): Promise<void> {
  const signer = await loadSigner(validatorDir, ESTATE_PASSPHRASE);
  await writeValidation(join(dir, 'certificate.json'), signer, {
    outcome,
    note: NOTE,
    tool: { name: 'posdecom', version: 'test' },
  });
}

async function reportJson(...args: string[]) {
  const r = await runCli(['report', estate.root, '--ca', estate.pki.caCertPath, '--json', ...args]);
  return { ...r, estate: r.code === ExitCode.Usage ? undefined : (JSON.parse(r.stdout) as Estate) };
}

const rowOf = (e: Estate | undefined, k: number): EstateRow =>
  e!.rows.find((r) => r.dir === estate.jobs[k]!.dir)!;

beforeAll(async () => {
  // 0 accepted, 1 not accepted, 2 forged validation, 3 INCOMPLETE accepted, 4 oversized validation, 5 none
  estate = await makeEstate('report-validation', ['pass', 'pass', 'pass', 'incomplete', 'pass', 'pass']);
  validatorDir = join(estate.dir, 'validator');
  await issueTechnician(await loadCa(estate.pki.dir, ESTATE_PASSPHRASE), validatorDir, {
    passphrase: ESTATE_PASSPHRASE,
    name: 'Vera Validator',
    email: 'vera@example.org',
    keyBits: 2048,
    iterations: 1000,
  });
  const dirs = estate.jobs.map((j) => j.dir);
  await validate(dirs[0]!, 'accepted');
  await validate(dirs[1]!, 'not-accepted');
  await validate(dirs[2]!, 'accepted');
  const forged = join(dirs[2]!, 'validation.json');
  await writeFile(forged, (await readFile(forged, 'utf8')).replace(NOTE, NOTE.replace('Serial', 'serial')));
  await validate(dirs[3]!, 'accepted');
  await writeFile(join(dirs[4]!, 'validation.json'), Buffer.alloc(1024 * 1024 + 1, 0x20));
  await writeFile(join(dirs[4]!, 'validation.p7s'), Buffer.alloc(16));
});
afterAll(async () => estate.remove());

describe('posdecom report and second-person validation', () => {
  it('fills validator and outcome from a validation that verifies, and counts a not-accepted one as FAIL', async () => {
    const { code, estate: e, stdout, stderr } = await reportJson('--csv', join(estate.dir, 'inventory.csv'));
    expect(code, stderr).toBe(ExitCode.VerifyFailed);
    expect(e!.summary.counts).toEqual({ PASS: 2, INCOMPLETE: 1, FAIL: 1, 'NOT VERIFIABLE': 2 });
    expect(rowOf(e, 0)).toMatchObject({
      status: 'PASS',
      validator: 'Vera Validator',
      validationOutcome: 'accepted',
      problem: null,
    });
    // The certificate's own word stays PASS; the estate's word is FAIL, and says why.
    expect(rowOf(e, 1)).toMatchObject({ status: 'FAIL', overall: 'PASS', validationOutcome: 'not-accepted' });
    const { validatedAt } = JSON.parse(
      await readFile(join(estate.jobs[1]!.dir, 'validation.json'), 'utf8'),
    ) as { validatedAt: string };
    expect(rowOf(e, 1).problem).toBe(
      `validation: NOT ACCEPTED by Vera Validator at ${validatedAt}: ${JSON.stringify(NOTE)}`,
    );
    expect(rowOf(e, 3)).toMatchObject({ status: 'INCOMPLETE', validationOutcome: 'accepted' });
    expect(rowOf(e, 5)).toMatchObject({ status: 'PASS', validator: null, validationOutcome: null });
    expect(stdout).not.toBe('');
    const rows = parse(await readFile(join(estate.dir, 'inventory.csv'), 'utf8'), {
      columns: true,
      bom: true,
    }) as Record<string, string>[];
    const csvRow = (k: number) => rows.find((r) => r['job directory'] === estate.jobs[k]!.dir)!;
    expect(csvRow(0)).toMatchObject({ validator: 'Vera Validator', outcome: 'accepted', overall: 'PASS' });
    expect(csvRow(1)).toMatchObject({
      validator: 'Vera Validator',
      outcome: 'not-accepted',
      overall: 'PASS',
    });
    expect(csvRow(1).problem).toMatch(/^validation: NOT ACCEPTED by Vera Validator/);
    expect(csvRow(5)).toMatchObject({ validator: '', outcome: '' });
  });

  it('makes a job with a forged or oversized validation not verifiable, naming no validator', async () => {
    const { estate: e } = await reportJson();
    const forged = rowOf(e, 2);
    expect(forged).toMatchObject({ status: 'NOT VERIFIABLE', validator: null, validationOutcome: null });
    expect(forged.problem).toMatch(/^validation failed: .*signature does not hold/);
    const huge = rowOf(e, 4);
    expect(huge.status).toBe('NOT VERIFIABLE');
    expect(huge.problem).toMatch(/^validation failed: \S+validation\.json is too large: 1048577 bytes/);
  });

  it('lists the not-accepted terminal among those to chase, in the text summary', async () => {
    const r = await runCli(['report', estate.root, '--ca', estate.pki.caCertPath]);
    const line = r.stdout.split('\n').find((l) => l.includes(`${estate.jobs[1]!.dir}:`));
    expect(line).toMatch(/^ {2}FAIL .*validation: NOT ACCEPTED by Vera Validator/);
  });
});

describe('posdecom report --crl', () => {
  const ca = (...args: string[]) =>
    runCli(['ca', ...args, '--ca', estate.pki.dir], { POSDECOM_CA_PASSPHRASE: ESTATE_PASSPHRASE });

  it('refuses a CRL that is missing or not a CRL with one line and exit 2', async () => {
    const garbage = join(estate.dir, 'garbage.crl');
    await writeFile(garbage, 'not a crl\n');
    for (const [path, message] of [
      [
        join(estate.dir, 'none.crl'),
        /^posdecom: cannot read the CRL \S+none\.crl: no such file or directory$/,
      ],
      [garbage, /^posdecom: the CRL is not an X\.509 CRL/],
    ] as const) {
      const r = await reportJson('--crl', path);
      expect(r.code, r.stderr).toBe(ExitCode.Usage);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });

  it('changes nothing under a CRL that does not list the signer, and fails every certificate once it does', async () => {
    const clean = join(estate.dir, 'clean.crl.pem');
    expect((await ca('crl', '--out', clean)).code).toBe(ExitCode.Success);
    const before = await reportJson('--crl', clean);
    expect(before.estate!.summary.counts).toEqual({ PASS: 2, INCOMPLETE: 1, FAIL: 1, 'NOT VERIFIABLE': 2 });

    const revoked = await ca('revoke', '--cert', estate.pki.technicianCertPath, '--reason', 'keyCompromise');
    expect(revoked.code, revoked.stderr).toBe(ExitCode.Success);
    const listed = join(estate.dir, 'revoked.crl.pem');
    expect((await ca('crl', '--out', listed)).code).toBe(ExitCode.Success);
    const after = await reportJson('--crl', listed);
    expect(after.code).toBe(ExitCode.VerifyFailed);
    expect(after.estate!.summary.counts).toEqual({ PASS: 0, INCOMPLETE: 0, FAIL: 0, 'NOT VERIFIABLE': 6 });
    for (const row of after.estate!.rows) expect(row.problem).toMatch(/revocation/);
    expect(rowOf(after.estate, 5).problem).toMatch(
      /^revocation failed: Estate Technician was revoked \S+ \(keyCompromise\)$/,
    );
  });
});

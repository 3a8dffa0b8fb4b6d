import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../agent/cli.js';
import { ExitCode } from '../agent/exit-codes.js';
import { defaultSignaturePath } from '../agent/run/verify.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { writeCertificateFiles } from '../wipe/certificate/files.js';
import { sampleIssuedNow } from './helpers/sample-now.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { loadSigner } from '../wipe/certificate/sign.js';
import { CHECK_NAMES } from '../wipe/verify/verify.js';

/** Every check, plus bound-files: the CLI always looks beside certificate.json. */
const CLI_CHECKS = [...CHECK_NAMES, 'bound-files'];

let dir: string;
let job: string;
let pki: OrganisationPki;

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cert-verify-cmd-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: 'verify command test',
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
  const signer = await loadSigner(join(dir, 'pki'), 'verify command test');
  job = join(dir, 'job');
  await writeCertificateFiles(
    job,
    buildCertificate(sampleIssuedNow(technicianFromCertificate(signer.certPem))),
    signer,
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('posdecom verify', () => {
  it('prints one line per check and exits 0 for a good certificate, finding the .p7s beside the JSON', async () => {
    const r = await cli(['verify', join(job, 'certificate.json'), '--ca', pki.caCertPath]);
    expect(r.code).toBe(ExitCode.Success);
    const lines = r.stdout.trim().split('\n');
    // The sample is a simulated terminal's certificate: verify says so before anything else.
    expect(lines.map((l) => /^. ([a-z-]+):/.exec(l)?.[1] ?? l)).toEqual([
      'SIMULATED TERMINAL - NOT A DEVICE RECORD',
      ...CLI_CHECKS,
      'VERIFIED (overall result PASS; not validated)',
    ]);
    expect(lines.slice(1, -1).every((l) => l.startsWith('✓ '))).toBe(true);
    expect(r.stderr).toBe('');
  });

  it('prints one JSON object with --json', async () => {
    const r = await cli(['verify', join(job, 'certificate.json'), '--ca', pki.caCertPath, '--json']);
    expect(r.code).toBe(ExitCode.Success);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: Array<{ name: string; ok: boolean }>;
      summary: { overall: { result: string } };
    };
    expect(doc.ok).toBe(true);
    expect(doc.checks.map((c) => c.name)).toEqual(CLI_CHECKS);
    expect(doc.summary.overall.result).toBe('PASS');
  });

  it('exits 10 and marks the failing check when the JSON was edited', async () => {
    const edited = join(dir, 'edited');
    await mkdir(edited, { recursive: true });
    const json = (await readFile(join(job, 'certificate.json'), 'utf8')).replace(
      '"result":"PASS"',
      '"result":"FAIL"',
    );
    await writeFile(join(edited, 'certificate.json'), json);
    await copyFile(join(job, 'certificate.p7s'), join(edited, 'certificate.p7s'));
    const r = await cli(['verify', join(edited, 'certificate.json'), '--ca', pki.caCertPath]);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.stdout).toMatch(/^✗ message-digest: /m);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^NOT VERIFIED: \d+ check\(s\) failed$/);
  });

  it('takes the signature from --sig', async () => {
    const elsewhere = join(dir, 'sig-elsewhere.p7s');
    await copyFile(join(job, 'certificate.p7s'), elsewhere);
    const r = await cli([
      'verify',
      join(job, 'certificate.json'),
      '--sig',
      elsewhere,
      '--ca',
      pki.caCertPath,
    ]);
    expect(r.code).toBe(ExitCode.Success);
  });

  it('exits 10 when --backup names a directory without the backup', async () => {
    const r = await cli(['verify', join(job, 'certificate.json'), '--ca', pki.caCertPath, '--backup', job]);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.stdout).toMatch(/^✗ backup: no manifest\.json in /m);
  });

  it.each([
    [
      ['verify', 'no/such/certificate.json', '--ca', 'x'],
      /^posdecom: cannot read the certificate no\/such\/certificate\.json: no such file\n$/,
    ],
    [['verify', 'CERT', '--ca', 'CA-NOT-PEM'], /^posdecom: the CA file is not a PEM certificate\n$/],
    [
      ['verify', 'CERT', '--ca', 'CA', '--backup', 'no/such/dir'],
      /^posdecom: --backup no\/such\/dir is not a directory\n$/,
    ],
    [['verify', 'CERT'], /Missing required argument: ca/],
  ])('exits 2 with one line for unusable input: %j', async (argv, message) => {
    const real = argv.map((a) =>
      a === 'CERT'
        ? join(job, 'certificate.json')
        : a === 'CA'
          ? pki.caCertPath
          : a === 'CA-NOT-PEM'
            ? join(job, 'certificate.json')
            : a,
    );
    const r = await cli(real);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toMatch(message);
  });

  it('derives the default signature path from the JSON path', () => {
    expect(defaultSignaturePath('out/certificate.json')).toBe('out/certificate.p7s');
    expect(defaultSignaturePath('a/B.JSON')).toBe('a/B.p7s');
    expect(defaultSignaturePath('cert')).toBe('cert.p7s');
  });
});

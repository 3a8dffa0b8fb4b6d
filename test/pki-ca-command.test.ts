import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../agent/cli.js';
import { ExitCode } from '../agent/exit-codes.js';
import { PASSPHRASE_ENV, ROLE_ENV } from '../wipe/pki/passphrase.js';

const PASSPHRASE = 'ca-command-passphrase-7f3a';

/** Runs the real CLI parser on argv and captures everything it prints. */
const ALL_VARS = [PASSPHRASE_ENV, ...Object.values(ROLE_ENV)];

async function cli(argv: string[], passphrase: string | null | Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  // One passphrase for every role, or the variables given one by one.
  const env: Record<string, string | undefined> =
    passphrase === null || typeof passphrase === 'string'
      ? Object.fromEntries(ALL_VARS.map((v) => [v, passphrase ?? undefined]))
      : passphrase;
  const saved = Object.fromEntries(ALL_VARS.map((v) => [v, process.env[v]]));
  for (const v of ALL_VARS) {
    if (env[v] === undefined) delete process.env[v];
    else process.env[v] = env[v];
  }
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    for (const v of ALL_VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  }
}

describe('posdecom ca', () => {
  let dir: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pki-ca-cmd-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  afterEach(() => {
    // No command ever prints the passphrase, whatever happened.
    for (const o of outputs.splice(0)) expect(o).not.toContain(PASSPHRASE);
  });
  const run = async (
    argv: string[],
    passphrase: string | null | Record<string, string | undefined> = PASSPHRASE,
  ) => {
    const r = await cli(argv, passphrase);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  it('init creates the CA; issue and issue-recipient create certificates from it', async () => {
    const ca = join(dir, 'ca');
    const init = await run(['ca', 'init', '--out', ca, '--org', 'Example Retail', '--key-bits', '2048']);
    expect(init.code).toBe(ExitCode.Success);
    expect(init.stdout).toContain(join(ca, 'ca.crt.pem'));
    expect((await readdir(ca)).sort()).toEqual(['ca.crt.pem', 'ca.key.pem']);
    expect((await stat(join(ca, 'ca.key.pem'))).mode & 0o777).toBe(0o600);

    const tech = join(dir, 'tech');
    const issue = await run([
      'ca',
      'issue',
      '--ca',
      ca,
      '--name',
      'Jane Doe',
      '--email',
      'jane@example.com',
      '--out',
      tech,
      '--key-bits',
      '2048',
    ]);
    expect(issue.code).toBe(ExitCode.Success);
    expect((await readdir(tech)).sort()).toEqual(['chain.pem', 'technician.crt.pem', 'technician.key.pem']);
    expect(await readFile(join(tech, 'chain.pem'), 'utf8')).toBe(
      await readFile(join(ca, 'ca.crt.pem'), 'utf8'),
    );

    const rcpt = join(dir, 'rcpt');
    const recipient = await run([
      'ca',
      'issue-recipient',
      '--ca',
      ca,
      '--name',
      'Backup vault',
      '--out',
      rcpt,
      '--key-bits',
      '2048',
    ]);
    expect(recipient.code).toBe(ExitCode.Success);
    expect((await readdir(rcpt)).sort()).toEqual(['backup-recipient.crt.pem', 'backup-recipient.key.pem']);

    const verify = spawnSync(
      'openssl',
      [
        'verify',
        '-CAfile',
        join(ca, 'ca.crt.pem'),
        join(tech, 'technician.crt.pem'),
        join(rcpt, 'backup-recipient.crt.pem'),
      ],
      {
        encoding: 'utf8',
      },
    );
    if (verify.error) throw verify.error;
    expect(verify.status).toBe(0);
    const subject = spawnSync(
      'openssl',
      ['x509', '-in', join(tech, 'technician.crt.pem'), '-noout', '-subject'],
      { encoding: 'utf8' },
    );
    expect(subject.stdout).toContain('O = Example Retail'); // --org defaults to the CA's organisation
  });

  it('refuses to overwrite an existing CA (exit 2)', async () => {
    const ca = join(dir, 'ca2');
    expect((await run(['ca', 'init', '--out', ca, '--org', 'A', '--key-bits', '2048'])).code).toBe(0);
    const before = await readFile(join(ca, 'ca.key.pem'), 'utf8');
    const again = await run(['ca', 'init', '--out', ca, '--org', 'A', '--key-bits', '2048']);
    expect(again.code).toBe(ExitCode.Usage);
    expect(again.stderr).toMatch(/already exists/);
    expect(await readFile(join(ca, 'ca.key.pem'), 'utf8')).toBe(before);
  });

  it('exits 2 with one line for a wrong CA passphrase', async () => {
    const ca = join(dir, 'ca3');
    expect((await run(['ca', 'init', '--out', ca, '--org', 'A', '--key-bits', '2048'])).code).toBe(0);
    const r = await run(
      ['ca', 'issue', '--ca', ca, '--name', 'N', '--email', 'n@example.com', '--out', join(dir, 't3')],
      'not-it',
    );
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot decrypt/);
  });

  it('exits 2 when neither the variable nor a terminal supplies a passphrase', async () => {
    const r = await run(['ca', 'init', '--out', join(dir, 'nope'), '--org', 'A'], null);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toBe(
      'posdecom: no passphrase for the new CA key: set POSDECOM_CA_PASSPHRASE or run in a terminal\n',
    );
  });

  it.each([
    [['ca', 'issue', '--ca', 'x', '--name', 'N', '--out', 'o'], /needs --email/],
    [['ca', 'init', '--out', 'o'], /needs --org/],
    [['ca', 'issue-recipient', '--out', 'o', '--name', 'N'], /needs --ca/],
    [
      ['ca', 'destroy', '--out', 'o'],
      /^posdecom: Invalid values: Argument: action, Given: "destroy", Choices: "init", "issue", "issue-recipient", "revoke", "crl"\n$/,
    ],
  ])('exits 2 for incomplete usage: %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toMatch(message);
  });

  it('never encrypts a new technician key with the CA passphrase: its own variable or a terminal, else exit 2', async () => {
    const ca = join(dir, 'ca-roles');
    expect(
      (
        await run(['ca', 'init', '--out', ca, '--org', 'A', '--key-bits', '2048'], {
          POSDECOM_CA_PASSPHRASE: PASSPHRASE,
        })
      ).code,
    ).toBe(0);
    const issue = [
      'ca',
      'issue',
      '--ca',
      ca,
      '--name',
      'N',
      '--email',
      'n@example.com',
      '--key-bits',
      '2048',
    ];
    // Only the CA's variable (and the generic fallback) set: creating the technician key is refused.
    const refused = await run([...issue, '--out', join(dir, 't-roles')], {
      POSDECOM_CA_PASSPHRASE: PASSPHRASE,
      POSDECOM_KEY_PASSPHRASE: PASSPHRASE,
    });
    expect(refused.code).toBe(ExitCode.Usage);
    expect(refused.stderr).toBe(
      'posdecom: no passphrase for the new technician key: set POSDECOM_SIGN_PASSPHRASE or run in a terminal\n',
    );
    await expect(readdir(join(dir, 't-roles'))).rejects.toThrow();
    // With its own variable, the new key opens with that passphrase and not with the CA's.
    const made = await run([...issue, '--out', join(dir, 't-roles2')], {
      POSDECOM_CA_PASSPHRASE: PASSPHRASE,
      POSDECOM_SIGN_PASSPHRASE: 'technician-only-passphrase',
    });
    expect(made.code, made.stderr).toBe(0);
    const key = await readFile(join(dir, 't-roles2', 'technician.key.pem'), 'utf8');
    expect(() => createPrivateKey({ key, passphrase: PASSPHRASE })).toThrow();
    expect(createPrivateKey({ key, passphrase: 'technician-only-passphrase' }).type).toBe('private');
    // An existing CA key still opens with the generic fallback alone.
    const fallback = await run(
      [
        'ca',
        'issue-recipient',
        '--ca',
        ca,
        '--name',
        'R',
        '--key-bits',
        '2048',
        '--out',
        join(dir, 'r-roles'),
      ],
      {
        POSDECOM_KEY_PASSPHRASE: PASSPHRASE,
        POSDECOM_RECIPIENT_PASSPHRASE: 'recipient-only-passphrase',
      },
    );
    expect(fallback.code, fallback.stderr).toBe(0);
  });

  it('takes no passphrase flag', async () => {
    const r = await run(['ca', 'init', '--out', join(dir, 'flag'), '--org', 'A', '--passphrase', 'x']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toMatch(/Unknown argument/);
  });
});

import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../agent/cli.js';
import { ExitCode } from '../agent/exit-codes.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { writeCertificateFiles } from '../wipe/certificate/files.js';
import { loadSigner } from '../wipe/certificate/sign.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { sampleIssuedNow } from './helpers/sample-now.js';

/** The journal and audit log a certificate binds by digest cannot be edited afterwards unnoticed. */

let dir: string;
let pki: OrganisationPki;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function job(name: string): Promise<string> {
  const d = join(dir, name);
  const signer = await loadSigner(join(dir, 'pki'), 'bound files');
  const journal = '{"seq":1,"type":"intent","step":"identify"}\n';
  const audit = '{"level":30,"msg":"authorized"}\n';
  const input = sampleIssuedNow(technicianFromCertificate(signer.certPem));
  input.boundFiles = {
    journalSha256: sha256(journal),
    auditLogSha256: sha256(audit),
    transcriptSha256: null,
  };
  await writeCertificateFiles(d, buildCertificate(input), signer);
  await writeFile(join(d, 'journal.jsonl'), journal);
  await writeFile(join(d, 'audit.log'), audit);
  return d;
}

async function verify(d: string) {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  try {
    const code = await main(['verify', join(d, 'certificate.json'), '--ca', pki.caCertPath]);
    return {
      code,
      line:
        out
          .join('')
          .split('\n')
          .find((l) => l.includes(' bound-files: ')) ?? '',
    };
  } finally {
    process.stdout.write = write;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bound-files-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: 'bound files',
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('files bound by the certificate', () => {
  it('passes when the journal and audit log beside the certificate are the ones it binds', async () => {
    const r = await verify(await job('intact'));
    expect(r.code).toBe(ExitCode.Success);
    expect(r.line).toBe(
      '✓ bound-files: journal: journal.jsonl matches; audit log: audit.log matches; transcript: none recorded',
    );
  });

  it('fails (exit 10) when a line was added to the journal after signing', async () => {
    const d = await job('journal-edited');
    await appendFile(join(d, 'journal.jsonl'), '{"seq":2,"type":"result","step":"erase","result":"PASS"}\n');
    const r = await verify(d);
    expect(r.code).toBe(ExitCode.VerifyFailed);
    expect(r.line).toMatch(
      /^✗ bound-files: journal\.jsonl has sha256 [0-9a-f]{64}, the certificate says [0-9a-f]{64}/,
    );
  });

  it('fails when the audit log was replaced', async () => {
    const d = await job('audit-replaced');
    await writeFile(join(d, 'audit.log'), '{"level":30,"msg":"nothing to see"}\n');
    expect((await verify(d)).code).toBe(ExitCode.VerifyFailed);
  });

  it('reports a bound file that is not there as not checked, which is no failure', async () => {
    const d = await job('audit-missing');
    await unlink(join(d, 'audit.log'));
    const r = await verify(d);
    expect(r.code).toBe(ExitCode.Success);
    expect(r.line).toContain('audit log: audit.log not present, not checked');
  });
});

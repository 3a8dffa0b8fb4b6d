import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { loadSigner, signCertificate } from '../wipe/certificate/sign.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { verifyJob } from '../wipe/verify/job.js';
import { loadTrust, type Trust } from '../wipe/verify/trust.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { sampleIssuedNow } from './helpers/sample-now.js';

/**
 * Whatever bytes a job directory holds, verification answers with failed checks and never
 * throws: the estate report walks thousands of directories and one bad file must be one row.
 */

let dir: string;
let pki: OrganisationPki;
let trust: Trust;
let json: Buffer;
let p7s: Buffer;

/** DER nested `depth` SEQUENCEs deep: a parser that recurses without a bound falls over. */
function deeplyNested(depth: number): Buffer {
  let inner = Buffer.alloc(0);
  for (let i = 0; i < depth; i++) {
    const len = inner.length;
    const header =
      len < 0x80
        ? [0x30, len]
        : len < 0x10000
          ? [0x30, 0x82, len >> 8, len & 0xff]
          : [0x30, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
    inner = Buffer.concat([Buffer.from(header), inner]);
  }
  return inner;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-hostile-'));
  pki = await createOrganisationPki(join(dir, 'pki'), {
    passphrase: 'hostile',
    technicianName: 'Jane Doe',
    technicianEmail: 'jane@example.com',
    org: 'Example Retail',
    iterations: 1000,
  });
  const signer = await loadSigner(pki.dir, 'hostile');
  json = canonicalBytes(buildCertificate(sampleIssuedNow(technicianFromCertificate(signer.certPem))));
  p7s = signCertificate(json, signer);
  trust = await loadTrust(pki.caCertPem);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('hostile signature files', () => {
  it('fails, without throwing, for random bytes, cut or spliced signatures', async () => {
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc.nat({ max: p7s.length }).map((n) => p7s.subarray(0, n)),
      fc
        .tuple(fc.nat({ max: p7s.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 64 }))
        .map(([at, bytes]) => Buffer.concat([p7s.subarray(0, at), bytes, p7s.subarray(at + bytes.length)])),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (bad) => {
        fc.pre(!Buffer.from(bad).equals(p7s));
        const r = await verifyCertificate(json, bad, trust);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('fails, without throwing, for a signature nested thousands of levels deep', async () => {
    const r = await verifyCertificate(json, deeplyNested(6000), trust);
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === 'cms-structure')?.ok).toBe(false);
  });

  it('reports a job directory of garbage as failed checks, and a deeply nested validation too', async () => {
    const job = join(dir, 'garbage');
    await rm(job, { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(job);
    await writeFile(join(job, 'certificate.json'), json);
    await writeFile(join(job, 'certificate.p7s'), p7s);
    await writeFile(join(job, 'validation.json'), `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    await writeFile(join(job, 'validation.p7s'), deeplyNested(3000));
    const r = await verifyJob({ dir: job }, trust);
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['validation']);
  });
});

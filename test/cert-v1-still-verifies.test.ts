import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runVerify } from '../agent/run/verify.js';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { schemaErrors } from '../wipe/certificate/schema.js';
import { verifyCertificate } from '../wipe/verify/verify.js';

/**
 * Certificates issued as schema version 1 (before ATTESTED, INCOMPLETE and the per-store NIST
 * method) still verify, by version 1's schema and rules: test/data holds two, signed by the
 * code of that time.
 */

const DATA = new URL('./data/', import.meta.url);
const read = (dir: string, file: string) => readFile(new URL(`${dir}/${file}`, DATA));

async function verifyV1(dir: string, json?: Buffer) {
  return verifyCertificate(
    json ?? (await read(dir, 'certificate.json')),
    await read(dir, 'certificate.p7s'),
    (await read(dir, 'ca.crt.pem')).toString('utf8'),
  );
}

describe('a version 1 certificate', () => {
  it('verifies with every check, a PASS', async () => {
    const r = await verifyV1('certificate-v1');
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.certificate?.schemaVersion).toBe('posdecom-certificate/1');
    expect(r.certificate?.overall.result).toBe('PASS');
  });

  it('verifies with its own rules when its result is UNKNOWN with a WARN (results version 2 no longer has)', async () => {
    const r = await verifyV1('certificate-v1-unknown');
    expect(r.ok).toBe(true);
    expect(r.certificate?.overall.result).toBe('UNKNOWN');
  });

  it('is checked by posdecom verify from the command line, without a simulated band (version 1 did not record it)', async () => {
    let out = '';
    const code = await runVerify(
      {
        certificate: new URL('certificate-v1/certificate.json', DATA).pathname,
        ca: new URL('certificate-v1/ca.crt.pem', DATA).pathname,
        json: false,
      },
      { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } },
    );
    expect(code).toBe(0);
    expect(out).not.toContain('SIMULATED');
    expect(out.trim().split('\n').at(-1)).toBe('VERIFIED (overall result PASS; not validated)');
  });

  it('fails the version 2 schema when it claims to be version 2, and any schema when the version is unknown', async () => {
    const doc = JSON.parse((await read('certificate-v1', 'certificate.json')).toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(schemaErrors({ ...doc, schemaVersion: 'posdecom-certificate/2' }).length).toBeGreaterThan(0);
    expect(schemaErrors({ ...doc, schemaVersion: 'posdecom-certificate/9' })).toEqual([
      '/schemaVersion: must be one of posdecom-certificate/2, posdecom-certificate/1',
    ]);
    const r = await verifyV1(
      'certificate-v1',
      canonicalBytes({ ...doc, schemaVersion: 'posdecom-certificate/2' }),
    );
    expect(r.ok).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { readManifest, writeManifest } from '../wipe/backup/manifest.js';
import type { BackupManifest, ManifestStore } from '../wipe/backup/manifest.js';
import { ENCRYPTION_PARAMETERS } from '../wipe/cms/encrypt.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'posdecom-manifest-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const digest = (c: string): string => c.repeat(64);

function store(over: Partial<ManifestStore> = {}): ManifestStore {
  const s: Omit<ManifestStore, 'parts'> = {
    name: 'journal',
    file: '00-journal.cms',
    kind: 'journal',
    size: 10,
    records: 2,
    cardData: true,
    terminalSha256: digest('a'),
    receivedSha256: digest('a'),
    ciphertextSha256: digest('b'),
    status: 'ok',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    ...over,
  };
  const whole = {
    file: s.file,
    offset: 0,
    length: s.size,
    plaintextSha256: s.receivedSha256,
    ciphertextSha256: s.ciphertextSha256,
  };
  return { parts: s.status === 'ok' ? [whole] : [], ...s };
}

function manifest(stores: ManifestStore[] = [store()]): BackupManifest {
  return {
    format: 'posdecom-backup/2',
    tool: { name: 'posdecom', version: '0.1.0' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:02.000Z',
    terminal: { vendor: 'Acme', model: 'T1', serial: 'SN1', firmware: '1.0' },
    encryption: {
      ...ENCRYPTION_PARAMETERS,
      recipient: { subject: 'CN=r', serialNumber: '01', sha256Fingerprint: 'AA:BB' },
    },
    stores,
  };
}

describe('manifest.json', () => {
  it('round-trips (a failed store keeps whatever digest it had), is 0600, and reports its own digest', async () => {
    const m = manifest([
      store(),
      store({
        file: '01-keys.cms',
        name: 'keys',
        status: 'failed',
        error: 'x',
        terminalSha256: 'NOT-HEX from a broken terminal',
        ciphertextSha256: '',
      }),
    ]);
    const w = await writeManifest(dir, m);
    expect(w.path).toBe(join(dir, 'manifest.json'));
    const bytes = await readFile(w.path);
    expect(w.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect((await stat(w.path)).mode & 0o777).toBe(0o600);
    const r = await readManifest(dir);
    expect(r.manifest).toEqual(m);
    expect(r.sha256).toBe(w.sha256);
  });

  it('drops fields it does not know instead of passing them on', async () => {
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ ...manifest(), extra: { __proto__: { polluted: 1 } } }),
    );
    const r = await readManifest(dir);
    expect(Object.keys(r.manifest)).not.toContain('extra');
  });

  const hostile: Array<[string, unknown, RegExp]> = [
    ['an unknown format', { ...manifest(), format: 'posdecom-backup/9' }, /unknown format "posdecom-backup\/9"/],
    ['a path escaping the directory', manifest([store({ file: '../../etc/passwd' })]), /stores\[0\]\.file is not a plain \.cms file name/],
    ['an absolute path', manifest([store({ file: '/dev/sda.cms' })]), /not a plain/],
    ['a drive letter', manifest([store({ file: 'C:\\x.cms' })]), /not a plain/],
    ['a device name', manifest([store({ file: 'CON.cms' })]), /not a plain/],
    ['a file that is not .cms', manifest([store({ file: 'manifest.json' })]), /not a plain \.cms/],
    ['a name listed twice', manifest([store(), store({ file: '00-JOURNAL.cms' })]), /listed twice/],
    ['an ok store without digests', manifest([store({ ciphertextSha256: '' })]), /ciphertextSha256 is malformed/],
    ['a negative size', manifest([store({ size: -1 })]), /size must be a non-negative integer/],
    ['a status of its own', manifest([store({ status: 'maybe' as 'ok' })]), /status must be/],
    ['stores that are not a list', { ...manifest(), stores: {} }, /stores must be a list/],
    ['a bare array', [], /manifest must be an object/],
  ]; // prettier-ignore

  for (const [what, content, message] of hostile) {
    it(`refuses ${what}`, async () => {
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(content));
      await expect(readManifest(dir)).rejects.toMatchObject({
        code: ErrorCode.UsageBadFile,
        message: expect.stringMatching(message),
      });
    });
  }

  it('refuses broken JSON, a huge file and a missing file with one line each', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"format":');
    await expect(readManifest(dir)).rejects.toThrow(/not valid JSON$/);
    await writeFile(join(dir, 'manifest.json'), Buffer.alloc(9 * 1024 * 1024, 0x20));
    await expect(readManifest(dir)).rejects.toThrow(/too large/);
    await expect(readManifest(join(dir, 'nowhere'))).rejects.toThrow(/manifest\.json not found$/);
  });

  it('will not write a manifest it would refuse to read', async () => {
    await expect(writeManifest(dir, manifest([store({ file: '../x.cms' })]))).rejects.toMatchObject({
      code: ErrorCode.BackupFailed,
    });
  });
});

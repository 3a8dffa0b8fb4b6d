/**
 * `posdecom backup decrypt` end to end: a backup directory written by our encryptor and manifest
 * code is restored, damaged, and restored again, and the exit codes are the documented ones.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupDecrypt } from '../agent/run/backup-decrypt.js';
import type { BackupDecryptIo } from '../agent/run/backup-decrypt.js';
import { writeManifest } from '../wipe/backup/manifest.js';
import type { BackupManifest, ManifestStore } from '../wipe/backup/manifest.js';
import { ENCRYPTION_PARAMETERS, loadRecipient } from '../wipe/cms/encrypt.js';
import { backupFileName } from '../wipe/backup/safe-name.js';
import { encryptTo, makeKeys, opensslDecrypt, random, removeDir, TEST_PASSPHRASE } from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const STORES: Array<[string, number]> = [
  ['Journal', 300_000],
  ['../../etc/passwd', 1],
  ['empty store', 0],
];

let keys: TestKeys;
let data: Buffer[];
let n = 0;

beforeAll(async () => {
  keys = await makeKeys();
  data = STORES.map(([, size]) => random(size));
});
afterAll(async () => removeDir(keys.dir));

/** A job directory holding backup/ with our files and manifest, as the backup step leaves it. */
async function makeBackup(extra: ManifestStore[] = []): Promise<{ job: string; backup: string }> {
  const job = join(keys.dir, `job-${++n}`);
  const backup = join(job, 'backup');
  await mkdir(backup, { recursive: true });
  const stores: ManifestStore[] = [];
  for (const [i, [name]] of STORES.entries()) {
    const plain = data[i] ?? Buffer.alloc(0);
    const file = backupFileName(i, name);
    const enc = await encryptTo(join(backup, file), plain, keys.certPem);
    const at = new Date().toISOString();
    stores.push({
      name, file, kind: 'journal', size: plain.length, records: 1, cardData: true,
      terminalSha256: sha256(plain), receivedSha256: enc.plaintextSha256, ciphertextSha256: enc.ciphertextSha256,
      parts: [{ file, offset: 0, length: plain.length, plaintextSha256: enc.plaintextSha256, ciphertextSha256: enc.ciphertextSha256 }],
      status: 'ok', startedAt: at, finishedAt: at,
    }); // prettier-ignore
  }
  const { certPem: _pem, ...recipient } = await loadRecipient(keys.certPath);
  const m: BackupManifest = {
    format: 'posdecom-backup/2',
    tool: { name: 'posdecom', version: '0.1.0' },
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    terminal: { vendor: 'Acme', model: 'T1', serial: 'SN1', firmware: '1.0' },
    encryption: { ...ENCRYPTION_PARAMETERS, recipient },
    stores: [...stores, ...extra],
  };
  await writeManifest(backup, m);
  return { job, backup };
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function decrypt(args: { in: string; key: string; out: string; json?: boolean }, env: NodeJS.ProcessEnv = { POSDECOM_KEY_PASSPHRASE: TEST_PASSPHRASE }): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: BackupDecryptIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    passphrase: { env, input: noTty },
  };
  const code = await runBackupDecrypt(args, io);
  // Nothing secret may reach the screen: not the passphrase, not a line of the key.
  const keyLines = keys.encKeyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  for (const secret of [TEST_PASSPHRASE, ...keyLines]) expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
} // prettier-ignore

const noTty = {
  isTTY: false,
  setEncoding: () => undefined,
  on: () => undefined,
  off: () => undefined,
  resume: () => undefined,
  pause: () => undefined,
};

describe('posdecom backup decrypt', () => {
  it('restores every store from the job directory, 0600, exit 0', async () => {
    const { job } = await makeBackup();
    const out = join(keys.dir, `restore-${n}`);
    const r = await decrypt({ in: job, key: keys.encKeyPath, out });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const names = ['00-journal.bin', '01-etc-passwd.bin', '02-empty-store.bin'];
    for (const [i, name] of names.entries()) {
      expect((await readFile(join(out, name))).equals(data[i] ?? Buffer.alloc(1))).toBe(true);
      expect((await stat(join(out, name))).mode & 0o777).toBe(0o600);
    }
    expect(r.stdout.split('\n').filter((l) => l.startsWith('restored '))).toHaveLength(3);
    expect(r.stdout).toContain('Restored 3 of 3 stores');
  });

  it('accepts the backup directory itself, an unencrypted key, and --json', async () => {
    const { backup } = await makeBackup();
    const r = await decrypt(
      { in: backup, key: keys.keyPath, out: join(keys.dir, `restore-${n}`), json: true },
      {},
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; stores: Array<{ status: string; sha256: string }> };
    expect(doc.ok).toBe(true);
    expect(doc.stores.map((s) => s.sha256)).toEqual(data.map(sha256));
  });

  it('the same files also open with the README openssl line', async () => {
    const { backup } = await makeBackup();
    const out = join(keys.dir, `ossl-${n}.bin`);
    expect(opensslDecrypt(join(backup, '00-journal.cms'), keys, out).status).toBe(0);
    expect((await readFile(out)).equals(data[0] ?? Buffer.alloc(1))).toBe(true);
  });

  it('restores the intact stores, refuses a tampered one, and exits 7', async () => {
    const { backup } = await makeBackup();
    const victim = join(backup, '00-journal.cms');
    const bytes = await readFile(victim);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(victim, bytes);
    const out = join(keys.dir, `restore-${n}`);
    const r = await decrypt({ in: backup, key: keys.encKeyPath, out });
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(
      /^FAILED +00-journal\.cms \(Journal\): .*differs from the file that was backed up/m,
    );
    expect(existsSync(join(out, '00-journal.bin'))).toBe(false);
    expect(existsSync(join(out, '01-etc-passwd.bin'))).toBe(true);
    expect(r.stdout).toContain('INCOMPLETE: restored 2 of 3 stores');
  });

  it('counts a store that failed during the backup as not restored, and masks control characters', async () => {
    const at = new Date().toISOString();
    const failed: ManifestStore = {
      name: 'keys\u001b[2J', file: '03-keys.cms', kind: 'keys', size: 5, records: 0, cardData: false,
      terminalSha256: '', receivedSha256: '', ciphertextSha256: '', parts: [], status: 'failed',
      error: 'terminal refused\u001b]0;pwned\u0007', startedAt: at, finishedAt: at,
    }; // prettier-ignore
    const { job } = await makeBackup([failed]);
    const r = await decrypt({ in: job, key: keys.encKeyPath, out: join(keys.dir, `restore-${n}`) });
    expect(r.code).toBe(7);
    expect(r.stdout).toContain(
      'SKIPPED    03-keys.cms (keys?[2J): not backed up: terminal refused?]0;pwned?',
    );
    expect(r.stdout).not.toContain('\u001b');
  });

  it('exits 7 when the key is not the recipient', async () => {
    const { job } = await makeBackup();
    const r = await decrypt({ in: job, key: keys.otherKeyPath, out: join(keys.dir, `restore-${n}`) }, {});
    expect(r.code).toBe(7);
    expect(r.stdout).toContain('this key is not a recipient of the file');
  });

  const usage: Array<[string, () => Promise<{ in: string; key: string }>, NodeJS.ProcessEnv, RegExp]> = [
    ['no manifest', async () => ({ in: keys.dir, key: keys.keyPath }), {}, /no manifest\.json in /],
    ['a missing key file', async () => ({ in: (await makeBackup()).job, key: join(keys.dir, 'nokey.pem') }), {}, /private key file .* not found/],
    ['an encrypted key, no passphrase and no terminal', async () => ({ in: (await makeBackup()).job, key: keys.encKeyPath }), {}, /set POSDECOM_RECIPIENT_PASSPHRASE \(or POSDECOM_KEY_PASSPHRASE\) or run in a terminal/],
    ['a wrong passphrase', async () => ({ in: (await makeBackup()).job, key: keys.encKeyPath }), { POSDECOM_KEY_PASSPHRASE: 'wrong' }, /wrong passphrase/],
    ['a hostile manifest', async () => {
      const { backup } = await makeBackup();
      const m = JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8')) as BackupManifest;
      m.stores[0] = { ...(m.stores[0] as ManifestStore), file: '../../../etc/shadow' };
      await writeFile(join(backup, 'manifest.json'), JSON.stringify(m));
      return { in: backup, key: keys.keyPath };
    }, {}, /not a plain \.cms file name/],
  ]; // prettier-ignore

  for (const [what, setup, env, message] of usage) {
    it(`exits 2 with one line for ${what}`, async () => {
      const args = { ...(await setup()), out: join(keys.dir, `restore-usage-${++n}`) };
      const r = await decrypt(args, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(args.out)).toBe(false);
    });
  }

  it('exits 7 when the restore directory cannot be created', async () => {
    const { job } = await makeBackup();
    const out = join(keys.certPath, 'restore'); // under a regular file
    const r = await decrypt({ in: job, key: keys.keyPath, out }, {});
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^posdecom: cannot write .*: a parent path is not a directory \(ENOTDIR\)\n$/);
  });

  it('restores into a directory that already holds the backup without touching it', async () => {
    const { backup } = await makeBackup();
    const copy = join(keys.dir, `copy-${n}`);
    await cp(backup, copy, { recursive: true });
    const r = await decrypt({ in: copy, key: keys.keyPath, out: copy }, {});
    expect(r.code).toBe(0);
    expect(await readFile(join(copy, 'manifest.json'))).toEqual(
      await readFile(join(backup, 'manifest.json')),
    );
  });
});

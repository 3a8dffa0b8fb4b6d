import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupDecrypt } from '../agent/run/backup-decrypt.js';
import { createLinkPair, SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';
import { findPans } from './helpers/hostile-leak-scanner.js';
import { runJob, testPki, type TestPki } from './helpers/job-harness.js';

/**
 * The backup holds every store, card data included, so on disk it must be unreadable without
 * the backup recipient's private key: no plaintext in the ciphertext, and any other key (or the
 * right key with a wrong passphrase) restores nothing.
 */

let root: string;
let pki: TestPki;
let backupDir: string;
/** Each store before the job, and as the job backs it up (after its batch is settled). */
const before = new Map<string, Buffer>();
const plain = new Map<string, Buffer>();

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function decrypt(key: string, out: string, passphrase: string): Promise<Captured> {
  let o = '';
  let e = '';
  const code = await runBackupDecrypt(
    { in: join(root, 'job'), key, out },
    {
      stdout: { write: (s: string) => (o += s) },
      stderr: { write: (s: string) => (e += s) },
      passphrase: { env: { POSDECOM_KEY_PASSPHRASE: passphrase } },
    },
  );
  return { code, out: o, err: e };
}

const listed = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'posdecom-leaks-backup-'));
  pki = await testPki();
  // A terminal that keeps clear card data (PCI DSS would fail it): the worst the backup must hold.
  const sim = await SimulatedTerminal.create({ model: 'countertop', seed: 4201, noncompliant: true });
  try {
    // The plaintext, read before the job erases it: as it was, and as the job backs it up once the
    // SAF queue is forwarded (which rewrites the saf store) and the batch settled (which moves the
    // batch to the host and appends to settlements and logs).
    const [ours, theirs] = createLinkPair();
    sim.attach(theirs);
    const client = new RawClient(ours);
    const { session } = await client.hello();
    const stores = (await client.request('STORES')).stores as { name: string; size: number }[];
    for (const s of stores) before.set(s.name, sim.readStoreBytes(s.name, 0, s.size));
    await client.authenticate(sim.authorityCode, sim.identity.serial, String(session));
    expect(await client.request('FORWARD', { op: 'before-the-job' })).toMatchObject({ ok: true });
    expect(await client.request('SETTLE', { op: 'test:settle' })).toMatchObject({ ok: true });
    for (const s of stores) plain.set(s.name, sim.readStoreBytes(s.name, 0, sim.storeSize(s.name)));
    const run = await runJob({ peer: sim, dir: join(root, 'job') });
    expect(run.exitCode, run.output).toBe(0);
  } finally {
    await sim.close();
  }
  backupDir = join(root, 'job', 'backup');
}, 120_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await pki.dispose();
});

describe('encrypted backups', () => {
  it('hold card data in plaintext before encryption, so the checks below mean something', () => {
    expect(findPans(before.get('saf')!.toString('latin1')).length).toBeGreaterThan(20);
    expect(findPans(before.get('batch')!.toString('latin1')).length).toBeGreaterThan(20);
  });

  it('contain no card number and no 32-byte run of any store’s plaintext', async () => {
    const files = (await listed(backupDir)).filter((f) => f.endsWith('.cms'));
    expect(files).toHaveLength(plain.size);
    for (const f of files) {
      const cipher = await readFile(join(backupDir, f));
      expect(findPans(cipher.toString('latin1')), f).toEqual([]);
      for (const [name, bytes] of [...before, ...plain]) {
        for (let at = 0; at + 32 <= bytes.length; at += Math.max(32, Math.floor(bytes.length / 64))) {
          const window = bytes.subarray(at, at + 32);
          if (window.every((b) => b === window[0])) continue; // padding runs say nothing
          expect(cipher.includes(window), `${name}@${at} in ${f}`).toBe(false);
        }
      }
    }
    const manifest = await readFile(join(backupDir, 'manifest.json'), 'latin1');
    expect(findPans(manifest)).toEqual([]);
  });

  it('restore byte-exact with the recipient key', async () => {
    const out = join(root, 'restored');
    const r = await decrypt(pki.recipientKeyPath, out, pki.passphrase);
    expect(r.code, r.err).toBe(0);
    const restored = await listed(out);
    expect(restored).toHaveLength(plain.size);
    const digests = new Set(
      await Promise.all(
        restored.map(async (f) =>
          createHash('sha256')
            .update(await readFile(join(out, f)))
            .digest('hex'),
        ),
      ),
    );
    for (const [name, bytes] of plain) {
      expect(digests.has(createHash('sha256').update(bytes).digest('hex')), name).toBe(true);
    }
  });

  it('restore nothing with another private key, and say so in one line per store', async () => {
    const out = join(root, 'wrong-key');
    const r = await decrypt(pki.technicianKeyPath, out, pki.passphrase);
    expect(r.code).toBe(7);
    expect(await listed(out)).toEqual([]);
    const failed = r.out.split('\n').filter((l) => l.startsWith('FAILED'));
    expect(failed).toHaveLength(plain.size);
    expect(r.out).toMatch(/INCOMPLETE: restored 0 of 6 stores/);
    expect(findPans(r.out + r.err)).toEqual([]);
  });

  it('restore nothing with the right key and a wrong passphrase', async () => {
    const out = join(root, 'wrong-passphrase');
    const r = await decrypt(pki.recipientKeyPath, out, 'not the passphrase');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toContain('not the passphrase');
    expect(await listed(out)).toEqual([]);
  });

  it('restore nothing from a ciphertext changed by one bit', async () => {
    const tampered = join(root, 'tampered');
    const job = join(tampered, 'backup');
    await rm(tampered, { recursive: true, force: true });
    await cp(backupDir, job, { recursive: true });
    const saf = (await listed(job)).find((f) => f.endsWith('-saf.cms'))!;
    const bytes = await readFile(join(job, saf));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 40) ^ 1, bytes.length - 40);
    await writeFile(join(job, saf), bytes);
    let o = '';
    const code = await runBackupDecrypt(
      { in: tampered, key: pki.recipientKeyPath, out: join(root, 'restored-tampered') },
      {
        stdout: { write: (s: string) => (o += s) },
        stderr: { write: () => true },
        passphrase: { env: { POSDECOM_KEY_PASSPHRASE: pki.passphrase } },
      },
    );
    expect(code).toBe(7);
    expect(o).toMatch(/FAILED +\S+-saf\.cms \(saf\)/);
    const restored = await listed(join(root, 'restored-tampered'));
    expect(restored.some((f) => f.includes('saf'))).toBe(false);
  });
});

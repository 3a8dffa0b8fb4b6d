import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES } from '../wipe/cms/format.js';
import { loadPrivateKey } from '../wipe/pki/keys.js';
import { restoreBackup } from '../wipe/backup/restore.js';
import { cliJob, journalLines, runCliKilling } from './helpers/fault-cli.js';
import { expectCertificate, removeScratch, sharedPki } from './helpers/fault-harness.js';
import { readReplies } from './helpers/fault-transcript.js';

/**
 * The agent process dies in the middle of a store's backup (it gives up on the link: exit 9),
 * and `decommission --resume` continues that store's backup file from the last complete chunk
 * on disk instead of reading the store again from zero (wipe/cms/resume.ts). A sidecar that is
 * spoiled or gone makes the store start again from zero, and the job still ends PASS.
 */

const MODEL = 'countertop';
const STORE = 'journal'; // 256 KiB: four chunks of the backup file

afterAll(removeScratch);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function job(seed: number) {
  const pki = await sharedPki();
  const { truth, root, out, env, args } = await cliJob({ model: MODEL, seed, name: 'resume-backup', pki });
  const backupDir = join(out, 'backup');
  const partials = () =>
    readdirSync(backupDir)
      .filter((n) => n.startsWith('.'))
      .sort();

  /** First run: the link drops half-way through the store and the agent gives up (exit 9). */
  const cut = async () => {
    const run = await runCliKilling(
      args(
        '&faults=disconnect-at=READ:journal:50%25',
        '--reconnect-wait',
        '0',
        '--record',
        join(root, 'cut.jsonl'),
      ),
      env,
    );
    expect(run.code, run.stderr).toBe(9);
    const cutReads = readReplies(join(root, 'cut.jsonl')).filter((x) => x.store === STORE);
    expect(cutReads.at(-1)!.offset).toBeGreaterThanOrEqual(CHUNK_BYTES);
    return run;
  };

  /** The resumed run; returns the offsets the agent asked for, for the store, in order. */
  const resume = async () => {
    const record = join(root, 'resume.jsonl');
    const run = await runCliKilling(args('', '--resume', '--record', record), env);
    expect(run.code, run.stderr).toBe(0);
    return readReplies(record).filter((x) => x.store === STORE);
  };

  /** PASS, the backups restore byte-exact, and the README's openssl line opens the store's file. */
  const expectGoodEnd = async () => {
    await expectCertificate(out, 'PASS');
    const restored = await restoreBackup({
      backupDir,
      key: await loadPrivateKey(pki.recipientKeyPath, pki.passphrase),
      outDir: join(root, 'restored'),
    });
    for (const s of restored.stores) {
      expect(s.status, s.error ?? s.name).toBe('restored');
      expect(sha256(readFileSync(join(root, 'restored', s.output!))), s.name).toBe(truth.get(s.name));
    }
    const file = readdirSync(backupDir).find((n) => n.endsWith(`-${STORE}.cms`))!;
    const plain = join(root, 'openssl.bin');
    const r = spawnSync(
      'openssl',
      ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', join(backupDir, file)]
        .concat(['-recip', pki.recipientCertPath, '-inkey', pki.recipientKeyPath, '-passin', 'env:VAR'])
        .concat(['-out', plain]),
      { encoding: 'utf8', env: { ...process.env, VAR: pki.passphrase } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(sha256(readFileSync(plain))).toBe(truth.get(STORE));
    expect(partials()).toEqual([]);
  };

  const notes = () =>
    journalLines(join(out, 'journal.jsonl')).filter(
      (e) => e.type === 'note' && e.data?.event === 'backup-resume',
    );
  return { cut, resume, expectGoodEnd, partials, notes, backupDir };
}

describe('a store backup cut short by the agent dying', () => {
  it.concurrent('is continued by --resume from the last complete chunk on disk, not from zero', async () => {
    const j = await job(4101);
    await j.cut();
    expect(j.partials()).toEqual([`.01-${STORE}.cms.partial`, `.01-${STORE}.cms.resume`]);
    const reads = await j.resume();
    expect(reads[0]!.offset).toBeGreaterThan(0);
    expect(reads[0]!.offset % CHUNK_BYTES).toBe(0);
    expect(j.notes().map((e) => e.data)).toEqual([
      { event: 'backup-resume', store: STORE, offset: reads[0]!.offset },
    ]);
    await j.expectGoodEnd();
  });

  it.concurrent(
    'starts the store again from zero when the sidecar was tampered with, and still ends PASS',
    async () => {
      const j = await job(4102);
      await j.cut();
      const side = join(j.backupDir, `.01-${STORE}.cms.resume`);
      const s = JSON.parse(readFileSync(side, 'utf8')) as { wrappedKey: string };
      const k = Buffer.from(s.wrappedKey, 'base64');
      k[7] = (k[7] ?? 0) ^ 0x40;
      writeFileSync(side, JSON.stringify({ ...s, wrappedKey: k.toString('base64') }));
      const reads = await j.resume();
      expect(reads[0]!.offset).toBe(0);
      expect(j.notes().map((e) => e.data?.restartedBecause)).toEqual([
        expect.stringMatching(/does not unwrap/),
      ]);
      await j.expectGoodEnd();
    },
  );

  it.concurrent(
    'starts the store again from zero when the sidecar is missing, and still ends PASS',
    async () => {
      const j = await job(4103);
      await j.cut();
      const side = join(j.backupDir, `.01-${STORE}.cms.resume`);
      expect(existsSync(side)).toBe(true);
      rmSync(side);
      const reads = await j.resume();
      expect(reads[0]!.offset).toBe(0);
      expect(j.notes()).toEqual([]);
      await j.expectGoodEnd();
    },
  );
});

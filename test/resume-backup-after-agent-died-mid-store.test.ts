import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBackupDecrypt } from '../agent/run/backup-decrypt.js';
import { decryptFileInto } from '../wipe/cms/decrypt.js';
import { loadPrivateKey } from '../wipe/pki/keys.js';
import { readManifest } from '../wipe/backup/manifest.js';
import { cliJob, journalLines, runCliKilling } from './helpers/fault-cli.js';
import { expectCertificate, removeScratch, sharedPki } from './helpers/fault-harness.js';
import { createTestPki } from './helpers/job-harness.js';

/**
 * The agent process stops in the middle of a store's backup (it gives up on the link: exit 9),
 * and `decommission --resume` keeps the complete parts the first run wrote (each a whole CMS file
 * under its own content key, wrapped only to the backup recipient) and reads on from the end of
 * the last one (the READs its transcript records start there; nothing before is read again).
 * Nothing in DIR opens with the technician's key; every part opens with the recipient's, with our
 * command and with openssl, and joins to the store.
 */

const MODEL = 'countertop';
const STORE = 'journal'; // 256 KiB: four parts of 64 KiB
const PART = 65536;

afterAll(removeScratch);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function openssl(file: string, cert: string, key: string, out: string, passphrase: string) {
  return spawnSync(
    'openssl',
    ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file, '-recip', cert, '-inkey', key].concat([
      '-passin',
      'env:VAR',
      '-out',
      out,
    ]),
    { encoding: 'utf8', env: { ...process.env, VAR: passphrase } },
  );
}

/** No file under DIR (journal, manifest, checkpoint, fingerprints, parts) opens with the technician's key. */
async function expectNothingOpensWithTechnicianKey(j: {
  out: string;
  root: string;
  pki: Awaited<ReturnType<typeof sharedPki>>;
}): Promise<void> {
  const technician = await loadPrivateKey(j.pki.technicianKeyPath, j.pki.passphrase);
  const files = filesUnder(j.out);
  expect(files.some((f) => f.endsWith('.cms'))).toBe(true);
  for (const file of files) {
    const o = openssl(
      file,
      j.pki.technicianCertPath,
      j.pki.technicianKeyPath,
      join(j.root, 'x'),
      j.pki.passphrase,
    );
    expect(o.status, file).not.toBe(0);
    await expect(
      decryptFileInto(file, technician, async () => {}, '0'.repeat(64)),
      file,
    ).rejects.toThrow();
  }
}

/** The READs the agent sent to back up `store`, from a --record transcript (resends counted once). */
function readRequests(transcript: string, store: string): { offset: number; length: number }[] {
  const seen = new Set<string>();
  const reads: { offset: number; length: number }[] = [];
  for (const line of readFileSync(transcript, 'utf8').split('\n')) {
    if (!line.includes('"READ"')) continue;
    const e = JSON.parse(line) as { dir: string; step?: string; line?: string };
    const m =
      e.dir === 'out' && e.step === `backup:${store}` && e.line
        ? /^(\w+) Q READ (\{.*\})\*/.exec(e.line)
        : null;
    if (!m || seen.has(m[1]!)) continue;
    seen.add(m[1]!);
    const r = JSON.parse(m[2]!) as { store: string; offset: number; length: number };
    if (r.store === store) reads.push({ offset: r.offset, length: r.length });
  }
  return reads;
}

/** Where the READs end when each starts where the one before ended; fails on a gap or overlap. */
function contiguousEnd(reads: { offset: number; length: number }[]): number {
  let end = reads[0]!.offset;
  for (const r of reads) {
    expect(r.offset).toBe(end);
    end += r.length;
  }
  return end;
}

async function job(seed: number) {
  const pki = await sharedPki();
  const { truth, root, out, env, args } = await cliJob({ model: MODEL, seed, name: 'resume-backup', pki });
  const backupDir = join(out, 'backup');
  const partFiles = () =>
    readdirSync(backupDir)
      .filter((n) => n.startsWith(`01-${STORE}.p`))
      .sort();
  const notes = (event: string) =>
    journalLines(join(out, 'journal.jsonl')).filter((e) => e.type === 'note' && e.data?.event === event);
  const cut = async () => {
    const run = await runCliKilling(
      args(
        '&faults=disconnect-at=READ:journal:60%25',
        '--reconnect-wait',
        '0',
        '--backup-part-size',
        `${PART}`,
      ),
      env,
    );
    expect(run.code, run.stderr).toBe(9);
    return run;
  };
  const resume = async (...extra: string[]) => {
    const run = await runCliKilling(args('', '--resume', '--backup-part-size', `${PART}`, ...extra), env);
    expect(run.code, run.stderr).toBe(0);
    return run;
  };
  return { pki, truth, root, out, backupDir, partFiles, notes, cut, resume, args, env };
}

describe('a store backup cut short by the agent stopping', () => {
  it.concurrent(
    'is continued by --resume after its complete parts, and only the recipient key opens any of it',
    async () => {
      const j = await job(4101);
      await j.cut();
      const kept = j.partFiles();
      expect(kept.length).toBeGreaterThanOrEqual(1);
      expect(readdirSync(j.backupDir).filter((n) => n.endsWith('.resume'))).toEqual([]);
      // What the cut left (parts, checkpoint, journal, fingerprints) included.
      await expectNothingOpensWithTechnicianKey(j);
      const before = new Map(kept.map((f) => [f, sha256(readFileSync(join(j.backupDir, f)))]));
      const transcript = join(j.root, 'resume.jsonl');
      await j.resume('--record', transcript);
      // The parts of the first run are kept as they were, not written again.
      for (const [f, digest] of before) expect(sha256(readFileSync(join(j.backupDir, f))), f).toBe(digest);
      const offset = kept.length * PART;
      const notes = j.notes('backup-resume').map((e) => e.data as { readFrom: number });
      expect(notes).toEqual([
        { event: 'backup-resume', store: STORE, offset, parts: kept.length, readFrom: expect.any(Number) },
      ]);
      // The cut run lived to see the link go (exit 9): what it had received past the last
      // complete part was sealed in the checkpoint, up to where the link dropped (60 %).
      const readFrom = notes[0]!.readFrom;
      expect(readFrom).toBeGreaterThan(offset);
      expect(readFrom).toBeLessThanOrEqual(0.6 * 4 * PART);
      // The terminal served the store from there on, each byte once.
      const reads = readRequests(transcript, STORE);
      expect(reads[0]?.offset).toBe(readFrom);
      expect(contiguousEnd(reads)).toBe(4 * PART);
      await expectCertificate(j.out, 'PASS');

      const { manifest } = await readManifest(j.backupDir);
      const entry = manifest.stores.find((s) => s.name === STORE)!;
      expect(entry.parts.map((p) => p.file)).toEqual(j.partFiles());
      expect(entry.parts.map((p) => [p.offset, p.length])).toEqual([0, 1, 2, 3].map((i) => [i * PART, PART]));

      await expectNothingOpensWithTechnicianKey(j);

      // Each part opens with the recipient key via openssl; `cat` joins them into the store.
      const plains = entry.parts.map((p, i) => {
        const plain = join(j.root, `part-${i}.bin`);
        const o = openssl(
          join(j.backupDir, p.file),
          j.pki.recipientCertPath,
          j.pki.recipientKeyPath,
          plain,
          j.pki.passphrase,
        );
        expect(o.status, o.stderr).toBe(0);
        expect(sha256(readFileSync(plain))).toBe(p.plaintextSha256);
        return readFileSync(plain);
      });
      expect(sha256(Buffer.concat(plains))).toBe(j.truth.get(STORE));

      // `backup decrypt` joins them too, byte-exact with the store.
      const restored = join(j.root, 'restored');
      const code = await runBackupDecrypt(
        { in: j.out, key: j.pki.recipientKeyPath, out: restored },
        {
          stdout: { write: () => true },
          passphrase: { env: { POSDECOM_RECIPIENT_PASSPHRASE: j.pki.passphrase } },
        },
      );
      expect(code).toBe(0);
      for (const s of manifest.stores)
        expect(sha256(readFileSync(join(restored, s.file.replace(/\.cms$/, '.bin')))), s.name).toBe(
          j.truth.get(s.name),
        );
    },
  );

  it.concurrent('discards a torn part and old-format resume sidecars, with a journal note each', async () => {
    const j = await job(4102);
    await j.cut();
    const torn = join(j.backupDir, `.01-${STORE}.p004.cms.0123456789ab.partial`);
    const sidecar = join(j.backupDir, `.01-${STORE}.cms.resume`);
    writeFileSync(torn, Buffer.alloc(3000, 7));
    writeFileSync(sidecar, '{"format":"posdecom-backup-resume/1","wrappedKey":"AAAA"}\n');
    await j.resume();
    expect(readdirSync(j.backupDir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(j.notes('leftover-removed').map((e) => e.data?.file)).toEqual(
      expect.arrayContaining([
        `backup/.01-${STORE}.p004.cms.0123456789ab.partial`,
        `backup/.01-${STORE}.cms.resume`,
      ]),
    );
    await expectCertificate(j.out, 'PASS');
  });

  it.concurrent(
    'writes again a kept part whose file was changed after the cut, and still ends PASS',
    async () => {
      const j = await job(4103);
      await j.cut();
      const first = join(j.backupDir, j.partFiles()[0]!);
      const bytes = readFileSync(first);
      bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 1;
      writeFileSync(first, bytes);
      const mtime = statSync(first).mtimeMs;
      await j.resume();
      expect(statSync(first).mtimeMs).not.toBe(mtime);
      expect(j.notes('backup-resume').map((e) => e.data?.restartedBecause)).toEqual([
        expect.stringMatching(/p001\.cms differs from its checkpoint/),
      ]);
      await expectCertificate(j.out, 'PASS');
    },
  );

  it.concurrent(
    'refuses --resume with another --backup-recipient (exit 6) before touching the terminal',
    async () => {
      const j = await job(4104);
      await j.cut();
      const other = await createTestPki();
      try {
        const args = j
          .args('', '--resume')
          .map((a) => (a === j.pki.recipientCertPath ? other.recipientCertPath : a));
        expect(args).toContain(other.recipientCertPath);
        const run = await runCliKilling(args, j.env);
        expect(run.code).toBe(6);
        expect(run.stderr).toMatch(
          /was started with another backup recipient .*resume with the same --backup-recipient/,
        );
        expect(journalLines(join(j.out, 'journal.jsonl')).filter((e) => e.type === 'resume')).toEqual([]);
      } finally {
        await other.dispose();
      }
    },
  );

  it.concurrent(
    'finds a changed file of a finished store on resume before any erase, and backs the store up again',
    async () => {
      const j = await job(4105);
      // Cut in a later store: the journal store's backup is finished and in the manifest.
      const cut = await runCliKilling(
        j.args(
          '&faults=disconnect-at=READ:logs:50%25',
          '--reconnect-wait',
          '0',
          '--backup-part-size',
          `${PART}`,
        ),
        j.env,
      );
      expect(cut.code, cut.stderr).toBe(9);
      const part = join(j.backupDir, `01-${STORE}.p002.cms`);
      const bytes = readFileSync(part);
      bytes[200] = (bytes[200] ?? 0) ^ 0x10;
      writeFileSync(part, bytes);
      await j.resume();
      const entries = journalLines(join(j.out, 'journal.jsonl'));
      const found = entries.find((e) => e.type === 'note' && e.data?.event === 'backup-recheck-failed');
      expect(found?.data).toMatchObject({
        store: STORE,
        problem: expect.stringMatching(/p002\.cms differs from the manifest/),
      });
      const firstErase = entries.find((e) => e.type === 'intent' && e.step === 'erase');
      expect(found!.n).toBeLessThan(firstErase!.n);
      const again = entries.filter((e) => e.type === 'result' && e.step === 'backup' && e.target === STORE);
      expect(again).toHaveLength(2);
      await expectCertificate(j.out, 'PASS');
      const { manifest } = await readManifest(j.backupDir);
      const entry = manifest.stores.find((s) => s.name === STORE)!;
      expect(sha256(readFileSync(part))).toBe(entry.parts[1]!.ciphertextSha256);
    },
  );

  it.concurrent(
    'the standalone backup command continues after the complete parts the same way, with no key at all',
    async () => {
      const j = await job(4106);
      const port = j.args('')[2]!;
      const args = (query: string, ...extra: string[]) => [
      'backup', '--port', `${port}${query}`, '--out', j.out, '--backup-recipient', j.pki.recipientCertPath,
      '--stores', STORE, '--backup-part-size', `${PART}`, ...extra,
    ]; // prettier-ignore
      const cut = await runCliKilling(
        args('&faults=disconnect-at=READ:journal:60%25', '--reconnect-wait', '0'),
        {},
      );
      expect(cut.code, cut.stderr).toBe(9);
      const kept = j.partFiles();
      expect(kept.length).toBeGreaterThanOrEqual(1);
      const before = kept.map((f) => sha256(readFileSync(join(j.backupDir, f))));
      const transcript = join(j.root, 'resume.jsonl');
      const resumed = await runCliKilling(args('', '--resume', '--record', transcript), {});
      expect(resumed.code, resumed.stderr).toBe(0);
      // No job secret here: only the PCI scanner's look-back (at most 136 bytes) is read again.
      const reads = readRequests(transcript, STORE);
      const boundary = kept.length * PART;
      expect(boundary - reads[0]!.offset).toBeGreaterThan(0);
      expect(boundary - reads[0]!.offset).toBeLessThanOrEqual(136);
      expect(contiguousEnd(reads)).toBe(4 * PART);
      expect(kept.map((f) => sha256(readFileSync(join(j.backupDir, f))))).toEqual(before);
      expect(j.notes('backup-resume').map((e) => e.data?.parts)).toEqual([kept.length]);
      expect(j.partFiles()).toHaveLength(4);
    },
  );
});

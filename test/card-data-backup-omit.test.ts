import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import { parseFaults, SimulatedTerminal, type SimOptions } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { verifyCertificate } from '../wipe/verify/verify.js';
import { runJob, testPki } from './helpers/job-harness.js';

/**
 * `--card-data-backup omit`: the stores that may hold card data are not copied at all, and are
 * still erased (the only erase without a backup, and only by that flag). The certificate says
 * which were not backed up and why, the choice is journaled with the job, and `--resume` keeps it.
 */
const open: SimulatedTerminal[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function terminal(options: Partial<SimOptions> = {}): Promise<SimulatedTerminal> {
  const t = await SimulatedTerminal.create({ model: 'countertop', seed: 81, ...options });
  open.push(t);
  return t;
}

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'posdecom-omit-'));
  dirs.push(d);
  return d;
}

const journalOf = (dir: string) =>
  readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);
const certificateOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;

describe('--card-data-backup omit', () => {
  it('backs up no store that may hold card data, still erases and verifies it, and the certificate says why', async () => {
    const t = await terminal();
    const dir = scratch();
    const run = await runJob({ peer: t, dir, options: { cardDataBackup: 'omit' } });
    expect(run.exitCode, run.output).toBe(0);
    // No copy of batch or saf anywhere: not in the backup, not as a partial file, not in the manifest.
    const backupFiles = readdirSync(join(dir, 'backup'));
    expect(backupFiles.filter((f) => /batch|saf/.test(f))).toEqual([]);
    const manifest = readFileSync(join(dir, 'backup', 'manifest.json'), 'utf8');
    expect(manifest).not.toMatch(/"name":"(batch|saf)"/);
    for (const store of t.storeNames) expect(t.eraseCount(store), store).toBe(1);
    const cert = certificateOf(dir);
    for (const store of ['batch', 'saf']) {
      const backup = cert.steps.find((s) => s.step === 'backup' && s.target === store)!;
      expect(backup.result).toBe('WARN');
      expect(backup.note).toMatch(
        /not backed up: it may hold card data and --card-data-backup omit was chosen/,
      );
      expect(backup.evidence).toMatchObject({
        omitted: true,
        cardData: true,
        policy: '--card-data-backup omit',
      });
      expect(backup.evidence.digestsMatch).toBe(true);
      const verified = cert.steps.find((s) => s.step === 'erase-verification' && s.target === store)!;
      expect(verified.result).toBe('PASS');
    }
    for (const store of ['journal', 'settlements', 'logs', 'config']) {
      expect(cert.steps.find((s) => s.step === 'backup' && s.target === store)?.result).toBe('PASS');
    }
    // A WARN is a PASS with findings: listed, never hidden.
    expect(cert.overall.result).toBe('PASS');
    expect(cert.overall.findings.join('\n')).toMatch(/backup \(batch\): WARN/);
    expect(journalOf(dir)[0]!.data).toMatchObject({ cardDataBackup: 'omit' });
    const pki = await testPki();
    const report = await verifyCertificate(
      readFileSync(join(dir, 'certificate.json')),
      readFileSync(join(dir, 'certificate.p7s')),
      pki.caCertPem,
      { backupDir: dir },
    );
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('keeps the choice the job started with across --resume, and refuses another one', async () => {
    // The cable is pulled in the middle of the erases; with no reconnect wait the job stops (9).
    const t = await terminal({ faults: parseFaults('disconnect-at=ERASE:settlements:50%') });
    const dir = scratch();
    const first = await runJob({ peer: t, dir, options: { cardDataBackup: 'omit', reconnectWaitMs: 0 } });
    expect(first.exitCode, first.output).toBe(9);
    const refused = await runJob({ peer: t, dir, options: { resume: true, cardDataBackup: 'keep' } });
    expect(refused.exitCode).toBe(2);
    expect(refused.errors).toMatch(/started with --card-data-backup omit; resume it with the same choice/);
    const resumed = await runJob({ peer: t, dir, options: { resume: true } });
    expect(resumed.exitCode, resumed.output).toBe(0);
    expect(readdirSync(join(dir, 'backup')).filter((f) => /batch|saf/.test(f))).toEqual([]);
    expect(certificateOf(dir).steps.find((s) => s.step === 'backup' && s.target === 'saf')?.result).toBe(
      'WARN',
    );
  });

  it('is not the default: without it every store is backed up and the certificate can PASS', async () => {
    const t = await terminal({ seed: 82 });
    const dir = scratch();
    const run = await runJob({ peer: t, dir });
    expect(run.exitCode, run.output).toBe(0);
    expect(existsSync(join(dir, 'backup', '03-saf.cms'))).toBe(true);
    expect(certificateOf(dir).overall.result).toBe('PASS');
    expect(journalOf(dir)[0]!.data).toMatchObject({ cardDataBackup: 'keep' });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../wipe/certificate/model.js';
import { restoreBackup } from '../wipe/backup/restore.js';
import { loadPrivateKey } from '../wipe/pki/keys.js';
import {
  expectBackupsBeforeErases,
  expectCertificate,
  expectCleanFinish,
  journalOf,
  removeScratch,
  rig,
  runJob,
  scratch,
  sharedPki,
} from './helpers/fault-harness.js';

/**
 * Stores change while the job runs: a settlement appends its record to `settlements` and a line
 * to `logs` and empties the batch store (issue 11, attack 7: the new record was neither backed
 * up nor checked as erased, and the certificate said PASS), and a terminal writes log lines of
 * its own. The store list is read again before each backup and each erase, so the backup holds
 * the bytes the terminal holds when it is erased, and nothing is erased that was not backed up.
 */

afterAll(removeScratch);

function recordOf(steps: StepRecord[], step: string, target?: string): StepRecord {
  const found = steps.find((s) => s.step === step && s.target === target);
  if (!found) throw new Error(`no ${step} ${target ?? ''} record`);
  return found;
}

async function restored(dir: string, store: string): Promise<string> {
  const pki = await sharedPki();
  const report = await restoreBackup({
    backupDir: join(dir, 'backup'),
    key: await loadPrivateKey(pki.recipientKeyPath, pki.passphrase),
    outDir: join(dir, 'restored'),
  });
  const s = report.stores.find((x) => x.name === store)!;
  return readFileSync(join(dir, 'restored', s.output!), 'latin1');
}

describe('a settlement that appends to the settlements store', () => {
  it.each([
    { model: 'unattended' as const, seed: 610 },
    { model: 'countertop' as const, seed: 611 },
  ])(
    'is backed up and verified erased in full on the $model, the new record included',
    async ({ model, seed }) => {
      const r = await rig({ seed, model });
      const before = r.terminal.storeSize('settlements');
      const dir = scratch('settlement-appends');
      const run = await runJob(r, dir);
      const cert = await expectCleanFinish(r, dir, run);
      const after = r.terminal.storeSize('settlements');
      expect(after, 'SETTLE appended a record').toBeGreaterThan(before);

      const text = await restored(dir, 'settlements');
      expect(text.length).toBe(after);
      const batchId = (recordOf(cert.steps, 'settle').evidence.settlement as { batchId: string }).batchId;
      expect(text.slice(before)).toMatch(new RegExp(`SETTLE batch=${batchId} count=\\d+ .* host=ACCEPTED`));
      expect(await restored(dir, 'logs')).toMatch(new RegExp(`settle +batch ${batchId} settled`));

      expect(recordOf(cert.steps, 'backup', 'settlements').evidence.bytes).toBe(after);
      const verified = recordOf(cert.steps, 'erase-verification', 'settlements').evidence;
      expect(verified).toMatchObject({ verification: 'full', bytesRead: after, passed: true });
      expect(r.terminal.truth().stores.settlements!.erasedBytes).toBe(true);
    },
  );
});

describe('a store that changes between its backup and its erase', () => {
  it('is backed up again and only then erased, its new bytes in the backup', async () => {
    const r = await rig({ seed: 620 });
    const dir = scratch('changed-once');
    let written = false;
    const run = await runJob(r, dir, {
      onStep: (text) => {
        // Once every backup is done, the terminal logs a line of its own.
        if (written || text !== 'erase: journal') return;
        written = true;
        r.terminal.appendRecord('logs', '2025-11-30T12:00:00.000Z INFO  ui       screen idle\n');
      },
    });
    expect(run.exitCode, run.summary.stopReason ?? '').toBe(0);
    const entries = journalOf(dir);
    expectBackupsBeforeErases(
      entries,
      r.terminal.storeNames.filter((s) => s !== 'logs'),
    );
    const logsBackups = entries.filter(
      (e) => e.type === 'result' && e.step === 'backup' && e.target === 'logs',
    );
    expect(logsBackups).toHaveLength(2);
    const changed = entries.findIndex(
      (e) => e.type === 'result' && e.step === 'erase' && e.target === 'logs',
    );
    expect(entries[changed]?.data?.outcome).toBe('changed');
    const erased = entries.findIndex(
      (e) =>
        e.type === 'result' && e.step === 'erase' && e.target === 'logs' && e.data?.outcome === 'verified',
    );
    expect(entries.indexOf(logsBackups[1]!)).toBeGreaterThan(changed);
    expect(erased).toBeGreaterThan(entries.indexOf(logsBackups[1]!));
    expect(r.terminal.eraseCount('logs')).toBe(1);
    expect(await restored(dir, 'logs')).toMatch(/screen idle\n$/);
    await expectCertificate(dir, 'PASS');
  });

  it('is never erased when it keeps changing after every backup: FAIL, exit 8, its last bytes backed up', async () => {
    const r = await rig({ seed: 621 });
    const dir = scratch('keeps-changing');
    let lines = 0;
    const run = await runJob(r, dir, {
      onStep: (text) => {
        if (text !== 'erase: config') return;
        r.terminal.appendRecord('config', `# touched ${++lines}\n`);
      },
    });
    expect(run.exitCode, run.summary.stopReason ?? '').toBe(8);
    expect(r.terminal.eraseCount('config')).toBe(0);
    const cert = await expectCertificate(dir, 'FAIL');
    expect(recordOf(cert.steps, 'erase', 'config')).toMatchObject({
      result: 'FAIL',
      note: 'not attempted: its content changed after each of 3 backups; bytes that were not backed up are never erased',
    });
    expect(await restored(dir, 'config')).toMatch(new RegExp(`# touched ${lines - 1}\\n$`));
  });
});

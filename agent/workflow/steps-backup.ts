import { backupStore } from '../../wipe/backup.js';
import type { BackupSet } from '../../wipe/backup-set.js';
import type { JobContext, StepOutcome } from './context.js';
import { record } from './records.js';

/**
 * Back up one store. A verified backup already on disk (from before a crash) is re-checked
 * against the manifest and the terminal's digest and kept; anything else is read again.
 */
export async function backupOne(ctx: JobContext, set: BackupSet, storeName: string): Promise<StepOutcome> {
  const startedAt = new Date();
  const inv = ctx.inventory();
  const index = inv.stores.findIndex((s) => s.name === storeName);
  const info = inv.stores[index]!;
  const existing = set.verified(info.name, info.sha256);
  if (existing) {
    ctx.reporter.info(`backup of ${info.name} already verified (${existing.file})`);
    return {
      outcome: 'verified',
      records: [
        record(
          'backup',
          startedAt,
          'PASS',
          { ...backupEvidence(existing), manifestSha256: set.manifestSha256 },
          {
            target: info.name,
          },
        ),
      ],
    };
  }
  ctx.reporter.info(
    `backing up ${info.name} (${info.size} bytes${info.cardData ? ', holds card data' : ''})`,
  );
  const result = await backupStore(info, {
    backupDir: set.dir,
    workDir: ctx.workDir,
    index: index + 1,
    recipient: ctx.recipient,
    read: (store, from, size, sink) => {
      // After a reconnect, continue from where the sink got to, not from zero.
      let reached = from;
      return ctx.withLink(`read ${store}`, (d) =>
        d.readStore(store, reached, size, async (offset, bytes) => {
          await sink(offset, bytes);
          reached = offset + bytes.length;
        }),
      );
    },
    onProgress: (done, total) => ctx.reporter.progress(`backup ${info.name}`, done, total),
  });
  ctx.reporter.endProgress();
  const manifestSha256 = await set.record(result);
  const evidence = { ...backupEvidence(result), manifestSha256 };
  if (result.status !== 'ok') {
    ctx.reporter.warn(`backup of ${info.name} failed: ${result.error ?? 'unknown'}`);
    return {
      outcome: 'failed',
      records: [
        record('backup', startedAt, 'FAIL', evidence, { target: info.name, note: result.error ?? 'failed' }),
      ],
    };
  }
  return {
    outcome: 'verified',
    records: [record('backup', startedAt, 'PASS', evidence, { target: info.name })],
    extra: { fingerprintsPath: result.fingerprintsPath },
  };
}

function backupEvidence(s: {
  file: string;
  size: number;
  terminalSha256: string;
  receivedSha256: string;
  ciphertextSha256: string;
  cardData: boolean;
}): Record<string, unknown> {
  return {
    file: `backup/${s.file}`,
    bytes: s.size,
    terminalSha256: s.terminalSha256,
    receivedSha256: s.receivedSha256,
    ciphertextSha256: s.ciphertextSha256,
    digestsMatch: s.terminalSha256 === s.receivedSha256,
    encrypted: true,
    cardData: s.cardData,
  };
}

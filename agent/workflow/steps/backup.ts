import { backupStore } from '../../../wipe/backup/store-backup.js';
import type { BackupSet } from '../../../wipe/backup/backup-set.js';
import type { ResumeKey } from '../../../wipe/cms/resume.js';
import { decryptPrivateKey } from '../../../wipe/pki/keys.js';
import type { JobContext, StepOutcome } from '../context.js';
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
  let resumedFrom = 0;
  const run = (resume: ResumeKey) =>
    backupStore(info, {
      backupDir: set.dir,
      workDir: ctx.workDir,
      index: index + 1,
      recipient: ctx.recipient,
      resume,
      onResume: (event) => {
        if ('offset' in event) {
          resumedFrom = event.offset;
          ctx.reporter.info(`continuing the backup of ${info.name} from byte ${event.offset}`);
        } else {
          ctx.reporter.warn(`backing up ${info.name} from the start: ${event.restartedBecause}`);
        }
        ctx.journal.append('note', { data: { event: 'backup-resume', store: info.name, ...event } });
      },
      read: ctx.readStore,
      onProgress: (done, total) => ctx.reporter.progress(`backup ${info.name}`, done, total),
    });
  let result = await run(resumeKey(ctx));
  if (result.status !== 'ok' && resumedFrom > 0) {
    // The part recovered from disk may be what differs (a power cut can tear unsynced pages):
    // read the whole store once more before calling the backup failed.
    ctx.reporter.endProgress();
    ctx.journal.append('note', {
      data: { event: 'backup-resume', store: info.name, restartedBecause: result.error ?? 'failed' },
    });
    result = await run(resumeKey(ctx));
  }
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

/** The technician's signing key opens the resume sidecars; it is decrypted only when one exists. */
function resumeKey(ctx: JobContext): ResumeKey {
  const signer = ctx.signer;
  return {
    certPem: signer.certPem,
    privateKey: () =>
      'keyObject' in signer ? signer.keyObject : decryptPrivateKey(signer.keyPem, signer.passphrase),
  };
}

import { existsSync } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identity } from '../../protocol/domain.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { ENCRYPTION_PARAMETERS, type RecipientInfoSummary } from '../cms/encrypt.js';
import {
  MANIFEST_FILE,
  readManifest,
  writeManifest,
  type BackupManifest,
  type ManifestStore,
} from './manifest.js';
import type { StoreBackupResult } from './store-backup.js';

/**
 * The backup directory as a whole: the manifest, rewritten atomically after every store so a
 * crash leaves it consistent, and the rule that a store counts as backed up only when its file
 * is on disk and the manifest says its digest matched the terminal's.
 */
export class BackupSet {
  private constructor(
    readonly dir: string,
    private manifest: BackupManifest,
    private sha256: string | null,
  ) {}

  static async open(
    dir: string,
    terminal: Identity,
    recipient: RecipientInfoSummary,
    tool: { name: string; version: string },
    resume: boolean,
  ): Promise<BackupSet> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new PosdecomError(
        ErrorCode.BackupOutputUnusable,
        `cannot create ${dir}: ${(err as Error).message}`,
      );
    }
    // Temporary files of a store whose backup was cut short never count as a backup. One with a
    // resume sidecar (cms/resume.ts) is kept for decommission to continue; the rest go, and so
    // does a sidecar whose file is gone.
    const names = new Set(await readdir(dir));
    for (const name of names) {
      if (!name.startsWith('.')) continue;
      const orphanPartial = name.endsWith('.partial') && !names.has(name.replace(/\.partial$/, '.resume'));
      const orphanSidecar = name.endsWith('.resume') && !names.has(name.replace(/\.resume$/, '.partial'));
      if (orphanPartial || orphanSidecar) await unlink(join(dir, name)).catch(() => undefined);
    }
    if (existsSync(join(dir, MANIFEST_FILE))) {
      if (!resume) {
        throw new PosdecomError(
          ErrorCode.WorkflowUnfinishedJob,
          `${dir} already holds a backup; use --resume to continue it, or choose another --out`,
        );
      }
      const { manifest, sha256 } = await readManifest(dir);
      if (manifest.terminal.serial !== terminal.serial) {
        throw new PosdecomError(
          ErrorCode.WorkflowSerialMismatch,
          `${dir} holds the backup of terminal ${manifest.terminal.serial}, not ${terminal.serial}`,
        );
      }
      return new BackupSet(dir, manifest, sha256);
    }
    const now = new Date().toISOString();
    return new BackupSet(
      dir,
      {
        format: 'posdecom-backup/1',
        tool,
        createdAt: now,
        updatedAt: now,
        terminal: {
          vendor: terminal.vendor,
          model: terminal.model,
          serial: terminal.serial,
          firmware: terminal.firmware,
        },
        encryption: { ...ENCRYPTION_PARAMETERS, recipient },
        stores: [],
      },
      null,
    );
  }

  get manifestSha256(): string | null {
    return this.sha256;
  }

  /** A verified backup of this store, with the same terminal digest, whose file is still there. */
  verified(name: string, terminalSha256: string): ManifestStore | undefined {
    const s = this.manifest.stores.find((x) => x.name === name);
    if (
      !s ||
      s.status !== 'ok' ||
      s.terminalSha256 !== terminalSha256 ||
      s.receivedSha256 !== terminalSha256
    ) {
      return undefined;
    }
    return existsSync(join(this.dir, s.file)) ? s : undefined;
  }

  async record(result: StoreBackupResult): Promise<string> {
    const { fingerprintsPath: _fp, ...entry } = result;
    const stores = this.manifest.stores.filter((s) => s.name !== result.name);
    stores.push(entry);
    this.manifest = { ...this.manifest, updatedAt: new Date().toISOString(), stores };
    const { sha256 } = await writeManifest(this.dir, this.manifest);
    this.sha256 = sha256;
    return sha256;
  }

  get stores(): readonly ManifestStore[] {
    return this.manifest.stores;
  }
}

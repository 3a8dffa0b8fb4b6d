import { existsSync } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identity } from '../../protocol/domain.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { ENCRYPTION_PARAMETERS, type RecipientInfoSummary } from '../cms/encrypt.js';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  readManifest,
  writeManifest,
  type BackupManifest,
  type ManifestStore,
} from './manifest.js';
import type { StoreBackupResult } from './store-backup.js';
import { checkpointPathFor, removeCheckpoint, sha256File } from './checkpoint.js';

export interface Leftover {
  file: string;
  why: string;
}

const OLD_SIDECAR_WHY =
  'an old-format resume sidecar: it held a content key wrapped to the technician certificate';

/**
 * Temporary files never count as a backup: a torn part (`.partial`) goes, and so does any
 * old-format `.resume` sidecar with its partial file, since a key that opens backup data must
 * never be wrapped to anyone but the backup recipient. Checkpoints (`.parts.json`) stay.
 */
async function removeLeftovers(dir: string): Promise<Leftover[]> {
  const removed: Leftover[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.')) continue;
    const why = name.endsWith('.resume')
      ? OLD_SIDECAR_WHY
      : name.endsWith('.partial')
        ? 'a torn backup part, or the temp file of an old-format resume'
        : undefined;
    if (why === undefined) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    removed.push({ file: name, why });
  }
  return removed;
}

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
    /** Leftovers removed on opening: torn parts and old-format resume sidecars. */
    readonly removed: Leftover[] = [],
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
    const removed = await removeLeftovers(dir);
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
      const was = manifest.encryption.recipient.sha256Fingerprint;
      if (was !== recipient.sha256Fingerprint) {
        throw new PosdecomError(
          ErrorCode.WorkflowPrecondition,
          `${dir} was started with backup recipient ${was.slice(0, 16)}..., not ${recipient.sha256Fingerprint.slice(0, 16)}...: resume with the same --backup-recipient`,
        );
      }
      for (const s of manifest.stores) {
        if (s.status === 'ok') await removeCheckpoint(checkpointPathFor(dir, s.file));
      }
      return new BackupSet(dir, manifest, sha256, removed);
    }
    const now = new Date().toISOString();
    return new BackupSet(
      dir,
      {
        format: MANIFEST_FORMAT,
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
      removed,
    );
  }

  get manifestSha256(): string | null {
    return this.sha256;
  }

  /**
   * A verified backup of this store, with the same terminal digest, whose every part file still
   * hashes to the digest the manifest records (read back, not taken from the manifest's word).
   */
  async verified(name: string, terminalSha256: string): Promise<ManifestStore | undefined> {
    return (await this.check(name, terminalSha256)).store;
  }

  /** As verified(), with the reason when a recorded backup no longer holds. */
  async check(name: string, terminalSha256: string): Promise<{ store?: ManifestStore; problem?: string }> {
    const s = this.manifest.stores.find((x) => x.name === name);
    if (
      !s ||
      s.status !== 'ok' ||
      s.terminalSha256 !== terminalSha256 ||
      s.receivedSha256 !== terminalSha256
    ) {
      return {};
    }
    for (const p of s.parts) {
      const actual = await sha256File(join(this.dir, p.file));
      if (actual !== p.ciphertextSha256)
        return { problem: `${p.file} ${actual === undefined ? 'is missing' : 'differs from the manifest'}` };
    }
    return { store: s };
  }

  async record(result: StoreBackupResult): Promise<string> {
    const { fingerprintsPath: _fp, ...entry } = result;
    const stores = this.manifest.stores.filter((s) => s.name !== result.name);
    stores.push(entry);
    this.manifest = { ...this.manifest, updatedAt: new Date().toISOString(), stores };
    const { sha256 } = await writeManifest(this.dir, this.manifest);
    this.sha256 = sha256;
    // The manifest now says what the checkpoint said, and more.
    if (result.status === 'ok') await removeCheckpoint(checkpointPathFor(this.dir, result.file));
    return sha256;
  }

  get stores(): readonly ManifestStore[] {
    return this.manifest.stores;
  }
}

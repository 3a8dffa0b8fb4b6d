import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { errnoCode } from '../../wipe/backup/atomic-file.js';
import { keyNeedsPassphrase, readPrivateKey } from '../../wipe/cms/key.js';
import { getPassphrase } from '../../wipe/pki/passphrase.js';
import type { PassphraseOptions } from '../../wipe/pki/passphrase.js';
import { resolveBackupDir, restoreBackup } from '../../wipe/backup/restore.js';
import type { RestoreReport, StoreRestore } from '../../wipe/backup/restore.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';

export interface BackupDecryptArgs {
  in: string;
  key: string;
  out: string;
  json?: boolean;
}

/** Where output and the passphrase come from; tests replace them, the CLI uses the process's. */
export interface BackupDecryptIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  passphrase?: PassphraseOptions;
}

const MAX_KEY_FILE = 1024 * 1024;

/**
 * `posdecom backup decrypt`: restores every store of a backup into a directory. Exit 0 when all
 * were restored, 7 when any was not, 2 when the inputs themselves are unusable.
 */
export async function runBackupDecrypt(args: BackupDecryptArgs, io: BackupDecryptIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let backupDir: string;
  let key: KeyObject;
  try {
    backupDir = await resolveBackupDir(args.in);
    key = await loadKey(args.key, io.passphrase);
  } catch (e) {
    err.write(`posdecom: ${describeError(e)}\n`);
    return ExitCode.Usage; // a missing manifest, key file or passphrase is the caller's to fix
  }

  let report: RestoreReport;
  try {
    report = await restoreBackup({
      backupDir,
      key,
      outDir: args.out,
      onStore: (r) => {
        if (!args.json) out.write(line(r) + '\n');
      },
    });
  } catch (e) {
    err.write(`posdecom: ${describeError(e)}\n`);
    const code = exitCodeFor(e);
    return code === ExitCode.Usage || code === ExitCode.BackupFailed ? code : ExitCode.BackupFailed;
  }

  const restored = report.stores.filter((s) => s.status === 'restored').length;
  const total = report.stores.length;
  const allRestored = restored === total;
  if (args.json) {
    out.write(
      JSON.stringify({
        ok: allRestored,
        backupDir,
        outDir: args.out,
        manifestSha256: report.manifestSha256,
        stores: report.stores,
      }) + '\n',
    );
  } else {
    out.write(
      `${allRestored ? 'Restored' : 'INCOMPLETE: restored'} ${restored} of ${total} stores into ${args.out}\n`,
    );
  }
  return allRestored ? ExitCode.Success : ExitCode.BackupFailed;
}

async function loadKey(path: string, passphraseOptions: PassphraseOptions | undefined): Promise<KeyObject> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const why = errnoCode(e) === 'ENOENT' ? 'not found' : `cannot be read (${errnoCode(e) ?? 'error'})`;
    throw new PosdecomError(ErrorCode.UsageBadFile, `private key file ${path} ${why}`);
  }
  if (bytes.length > MAX_KEY_FILE) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `private key file ${path} is too large to be a key`);
  }
  const pem = bytes.toString('utf8');
  const passphrase = keyNeedsPassphrase(pem)
    ? await getPassphrase('backup recipient key', { ...passphraseOptions, role: 'recipient' })
    : undefined;
  return readPrivateKey(pem, passphrase);
}

/** One line per store; names and errors come from the manifest, so control characters are masked. */
function line(r: StoreRestore): string {
  const who = `${printable(r.file)} (${printable(r.name)})`;
  if (r.status === 'restored')
    return `restored  ${r.output ?? ''}  <- ${who}  ${r.bytes ?? 0} bytes  sha256 ${r.sha256 ?? ''}`;
  return `${r.status === 'skipped' ? 'SKIPPED' : 'FAILED'}    ${who}: ${printable(r.error ?? 'unknown error', 400)}`;
}

function printable(s: string, max = 120): string {
  // Cc: C0/C1 controls (terminal escapes); Cf: invisible and bidi-override characters.
  const clean = s.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

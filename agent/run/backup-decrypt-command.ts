import type { BackupArgs } from './backup.js';
import { ExitCode } from '../exit-codes.js';
import { runBackupDecrypt } from './backup-decrypt.js';

export async function runBackupDecryptCommand(args: BackupArgs): Promise<number> {
  const missing = (['in', 'key', 'out'] as const).filter((k) => !args[k]);
  if (missing.length > 0) {
    process.stderr.write(`posdecom: backup decrypt needs ${missing.map((m) => `--${m}`).join(', ')}\n`);
    return ExitCode.Usage;
  }
  return runBackupDecrypt({ in: args.in!, key: args.key!, out: args.out!, json: args.json });
}

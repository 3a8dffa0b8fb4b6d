import { defineCommand } from '../command.js';
import { withPortSettings } from '../options.js';
import type { BackupArgs } from '../run/backup.js';

export const backupCommand = defineCommand<BackupArgs>({
  command: 'backup [action]',
  describe: 'Back up stores, encrypted (changes nothing); `backup decrypt` restores them',
  builder: (y) =>
    withPortSettings(
      y
        .positional('action', {
          type: 'string',
          choices: ['decrypt'],
          describe: 'decrypt: restore a backup directory',
        })
        .usage(
          '$0 backup --port P --out DIR --backup-recipient CERT [--stores NAME,...] [--resume]\n' +
            '$0 backup decrypt --in DIR --key KEY.pem --out RESTORE_DIR',
        )
        .option('port', { type: 'string', describe: 'Terminal port (backup)' })
        .option('out', {
          type: 'string',
          describe: 'Output directory; the backup lands in OUT/backup (restore: where plain stores go)',
        })
        .option('stores', {
          type: 'string',
          describe: 'Comma-separated store names (default: all, device logs included)',
        })
        .option('resume', {
          type: 'boolean',
          default: false,
          describe: 'Continue an interrupted backup in --out',
        })
        .option('backup-recipient', { type: 'string', describe: 'Certificate the backups are encrypted to' })
        .option('config', { type: 'string', describe: 'JSON file naming backupRecipient' })
        .option('record', { type: 'string', describe: 'Write a masked transcript of every frame to FILE' })
        .option('reconnect-wait', {
          type: 'number',
          default: 30,
          describe: 'Seconds to wait for a lost link to come back',
        })
        .option('backup-part-size', {
          type: 'number',
          describe: 'Bytes of a store per backup part file (a multiple of 4096; default 4 MiB)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'One JSON summary on stdout' })
        .option('in', { type: 'string', describe: 'Backup directory to restore (decrypt)' })
        .option('key', { type: 'string', describe: 'Backup recipient private key, encrypted PEM (decrypt)' }),
    ) as never,
  run: async (args) => {
    if (args.action === 'decrypt')
      return (await import('../run/backup-decrypt-command.js')).runBackupDecryptCommand(args);
    return (await import('../run/backup.js')).runBackup(args);
  },
});

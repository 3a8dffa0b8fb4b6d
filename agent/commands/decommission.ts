import { defineCommand } from '../command.js';
import { withPortSettings } from '../options.js';
import type { DecommissionArgs } from '../run/decommission.js';

export const decommissionCommand = defineCommand<DecommissionArgs>({
  command: 'decommission',
  describe: 'Retire a terminal: settle, back up, erase, zeroize, unbind, finalize, certify',
  builder: (y) =>
    withPortSettings(
      y
        .option('port', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'Terminal port; repeat for several terminals',
        })
        .option('work-order', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'Work order JSON; repeat in --port order, or one file listing several',
        })
        .option('out', {
          type: 'string',
          demandOption: true,
          describe: 'Output directory (journal, backup, certificate)',
        })
        .option('resume', {
          type: 'boolean',
          default: false,
          describe: 'Continue the unfinished job in --out',
        })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'Identify, inventory and print the plan; change nothing',
        })
        .option('yes', {
          type: 'boolean',
          default: false,
          describe: 'Do not ask for confirmation (required without a TTY)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON summary on stdout' })
        .option('allow-unsettled', {
          type: 'boolean',
          default: false,
          describe: 'Go on when the batch cannot settle or the SAF queue cannot forward (never a PASS)',
        })
        .option('card-data-backup', {
          type: 'string',
          choices: ['keep', 'omit'],
          describe:
            'keep (default): back up every store; omit: do not back up stores holding card data (they are still erased)',
        })
        .option('backup-recipient', { type: 'string', describe: 'Certificate the backups are encrypted to' })
        .option('sign-key', { type: 'string', describe: 'Technician private key (encrypted PEM)' })
        .option('sign-cert', { type: 'string', describe: 'Technician certificate' })
        .option('chain', {
          type: 'string',
          describe: 'Issuer chain of the technician certificate (PEM bundle)',
        })
        .option('config', {
          type: 'string',
          describe: 'JSON file naming backupRecipient, signKey, signCert, chain',
        })
        .option('attest', {
          type: 'string',
          array: true,
          describe: 'JSON of steps done by hand (step, target, statement, time, evidence); repeatable',
        })
        .option('record', { type: 'string', describe: 'Write a masked transcript of every frame to FILE' })
        .option('backup-part-size', {
          type: 'number',
          describe: 'Bytes of a store per backup part file (a multiple of 4096; default 4 MiB)',
        })
        .option('reconnect-wait', {
          type: 'number',
          default: 30,
          describe: 'Seconds to wait for a lost link to come back',
        }),
    ) as never,
  run: async (args) => (await import('../run/decommission.js')).runDecommissionCommand(args),
});

import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { defineCommand } from '../command.js';
import type { CaArgs, CaAction } from '../run/ca.js';

const NEEDS: Record<CaAction, (keyof CaArgs)[]> = {
  init: ['org'],
  issue: ['ca', 'name', 'email'],
  'issue-recipient': ['ca', 'name'],
};

export const caCommand = defineCommand<CaArgs>({
  command: 'ca <action>',
  describe: 'Organisation PKI: create the CA, issue technician and backup-recipient certificates',
  builder: (y) =>
    y
      .positional('action', {
        choices: ['init', 'issue', 'issue-recipient'] as const,
        demandOption: true,
        describe:
          'init: a new CA in --out; issue: a technician signing certificate; issue-recipient: the backup recipient',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Directory for the new files (keys 0600, never overwritten)',
      })
      .option('ca', {
        type: 'string',
        describe: 'CA directory holding ca.crt.pem and ca.key.pem (issue, issue-recipient)',
      })
      .option('name', { type: 'string', describe: 'Common name: the technician, or the backup recipient' })
      .option('email', { type: 'string', describe: "Technician's email, put in subjectAltName (issue)" })
      .option('org', { type: 'string', describe: "Organisation name (init; issue defaults to the CA's)" })
      .option('key-bits', {
        type: 'number',
        choices: [2048, 3072, 4096],
        default: 3072,
        describe: 'RSA key size',
      })
      .epilog(
        'Passphrases come from POSDECOM_CA_PASSPHRASE, POSDECOM_SIGN_PASSPHRASE, POSDECOM_RECIPIENT_PASSPHRASE (POSDECOM_KEY_PASSPHRASE only opens existing keys) or a no-echo prompt, never from a flag.',
      )
      .check((argv) => {
        // Thrown, not returned: the CLI treats a PosdecomError from yargs as a usage error (exit 2)
        // and, unlike a returned message, it stops the command from running.
        const action = argv.action as CaAction;
        if (!Object.hasOwn(NEEDS, action)) {
          throw new PosdecomError(
            ErrorCode.UsageInvalid,
            `unknown ca action ${JSON.stringify(action)}; use init, issue or issue-recipient`,
          );
        }
        const missing = NEEDS[action].filter((k) => typeof argv[k] !== 'string' || argv[k] === '');
        if (missing.length > 0) {
          throw new PosdecomError(
            ErrorCode.UsageInvalid,
            `ca ${action} needs ${missing.map((k) => `--${k}`).join(', ')}`,
          );
        }
        return true;
      }),
  run: async (args) => (await import('../run/ca.js')).runCa(args),
});

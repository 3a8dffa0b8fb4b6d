import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { REASONS } from '../../wipe/pki/revocations.js';
import { defineCommand } from '../command.js';
import type { CaArgs, CaAction } from '../run/ca.js';

const NEEDS: Record<CaAction, (keyof CaArgs)[]> = {
  init: ['org', 'out'],
  issue: ['ca', 'name', 'email', 'out'],
  'issue-recipient': ['ca', 'name', 'out'],
  revoke: ['ca', 'cert', 'reason'],
  crl: ['ca', 'out'],
};
const ACTIONS = Object.keys(NEEDS) as CaAction[];

export const caCommand = defineCommand<CaArgs>({
  command: 'ca <action>',
  describe:
    'Organisation PKI: create the CA, issue technician and backup-recipient certificates, revoke, publish the CRL',
  builder: (y) =>
    y
      .positional('action', {
        choices: ACTIONS,
        demandOption: true,
        describe:
          'init: a new CA in --out; issue: a technician signing certificate; issue-recipient: the backup recipient; ' +
          "revoke: add --cert to the CA's revocation list; crl: write the CA's signed CRL to --out",
      })
      .option('out', {
        type: 'string',
        describe: 'Directory for the new files (keys 0600, never overwritten); for crl, the CRL file (PEM)',
      })
      .option('ca', {
        type: 'string',
        describe: 'CA directory holding ca.crt.pem and ca.key.pem (issue, issue-recipient, revoke, crl)',
      })
      .option('name', { type: 'string', describe: 'Common name: the technician, or the backup recipient' })
      .option('email', { type: 'string', describe: "Technician's email, put in subjectAltName (issue)" })
      .option('org', { type: 'string', describe: "Organisation name (init; issue defaults to the CA's)" })
      .option('cert', { type: 'string', describe: 'The certificate to revoke (PEM) (revoke)' })
      .option('reason', {
        type: 'string',
        choices: Object.keys(REASONS),
        describe: 'RFC 5280 revocation reason (revoke)',
      })
      .option('days', {
        type: 'number',
        default: 30,
        describe: 'Days until the CRL’s nextUpdate: publish a new one before then (crl)',
      })
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
            `unknown ca action ${JSON.stringify(action)}; use ${ACTIONS.join(', ')}`,
          );
        }
        const missing = NEEDS[action].filter((k) => typeof argv[k] !== 'string' || argv[k] === '');
        if (missing.length > 0) {
          throw new PosdecomError(
            ErrorCode.UsageInvalid,
            `ca ${action} needs ${missing.map((k) => `--${k}`).join(', ')}`,
          );
        }
        const days = argv.days as number;
        if (!Number.isInteger(days) || days < 1 || days > 366)
          throw new PosdecomError(ErrorCode.UsageInvalid, '--days must be a whole number from 1 to 366');
        return true;
      }),
  run: async (args) => (await import('../run/ca.js')).runCa(args),
});

import { OUTCOMES } from '../../wipe/validation/record.js';
import { defineCommand } from '../command.js';
import type { ValidateArgs } from '../run/validate.js';

export const validateCommand = defineCommand<ValidateArgs>({
  command: 'validate <certificate>',
  describe:
    'Validate a wipe certificate as a second person: writes validation.json and validation.p7s beside it',
  builder: (y) =>
    y
      .positional('certificate', { type: 'string', demandOption: true, describe: 'certificate.json' })
      .option('sign-key', {
        type: 'string',
        demandOption: true,
        describe: "Validator's private key (encrypted PEM)",
      })
      .option('sign-cert', { type: 'string', demandOption: true, describe: "Validator's certificate" })
      .option('chain', {
        type: 'string',
        demandOption: true,
        describe: "Issuer chain of the validator's certificate, ending at the organisation CA (PEM bundle)",
      })
      .option('outcome', {
        choices: OUTCOMES,
        demandOption: true,
        describe: 'accepted: the results are confirmed; not-accepted: they are not',
      })
      .option('note', {
        type: 'string',
        demandOption: true,
        describe: 'What was checked, or why not accepted',
      })
      .option('json', { type: 'boolean', default: false, describe: 'One JSON document on stdout' })
      .epilog(
        'The passphrase comes from POSDECOM_SIGN_PASSPHRASE (or POSDECOM_KEY_PASSPHRASE) or a no-echo prompt, never from a flag.',
      ),
  run: async (args) => (await import('../run/validate.js')).runValidate(args),
});

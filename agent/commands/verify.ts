import { defineCommand } from '../command.js';
import type { VerifyArgs } from '../run/verify.js';

export const verifyCommand = defineCommand<VerifyArgs>({
  command: 'verify <certificate>',
  describe:
    'Verify a wipe certificate: signature, chain and policy, content rules, bound files, validation; optionally revocation and the backup',
  builder: (y) =>
    y
      .positional('certificate', { type: 'string', demandOption: true, describe: 'certificate.json' })
      .option('sig', {
        type: 'string',
        describe: 'Detached CMS signature (default: the .json path with .p7s)',
      })
      .option('ca', {
        type: 'string',
        demandOption: true,
        describe: 'Trusted organisation CA certificate (PEM)',
      })
      .option('crl', {
        type: 'string',
        describe: "The CA's CRL (posdecom ca crl): fail a signer revoked at the signing time",
      })
      .option('backup', {
        type: 'string',
        describe: 'Also check the encrypted backup in DIR (or DIR/backup)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'One JSON document on stdout' }),
  run: async (args) => (await import('../run/verify.js')).runVerify(args),
});

import { defineCommand } from '../command.js';
import type { ReportArgs } from '../run/report.js';

export const reportCommand = defineCommand<ReportArgs>({
  command: 'report <dirs..>',
  describe: 'Verify every job certificate under DIR... and summarise the estate (CSV, HTML, JSON)',
  builder: (y) =>
    y
      .positional('dirs', {
        type: 'string',
        array: true,
        demandOption: true,
        // yargs gives a variadic positional a default of [] and shows it in --help otherwise.
        default: undefined,
        describe: 'Directories to search for jobs (certificate.json), at any depth',
      })
      .option('ca', {
        type: 'string',
        demandOption: true,
        describe: 'Trusted organisation CA certificate (PEM)',
      })
      .option('crl', {
        type: 'string',
        describe:
          "The CA's CRL (posdecom ca crl): fail a certificate whose signer was revoked at its signing time",
      })
      .option('csv', {
        type: 'string',
        describe: 'Write the inventory update, one row per terminal, to FILE',
      })
      .option('html', { type: 'string', describe: 'Write a self-contained HTML page to FILE' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'One JSON object (summary and rows) on stdout',
      })
      .option('jobs', {
        type: 'number',
        defaultDescription: 'the core count',
        describe: 'Certificates verified in parallel (worker threads)',
      }) as never,
  run: async (args) => (await import('../run/report.js')).runReport(args),
});

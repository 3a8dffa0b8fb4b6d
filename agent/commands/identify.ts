import { defineCommand } from '../command.js';
import { withPortSettings } from '../options.js';
import type { IdentifyArgs } from '../run/identify.js';

export const identifyCommand = defineCommand<IdentifyArgs>({
  command: 'identify',
  describe: 'Show the identity, binding and status of a terminal (changes nothing)',
  builder: (y) =>
    withPortSettings(
      y
        .option('port', {
          type: 'string',
          demandOption: true,
          describe: 'Device path, tcp://host:port or sim:<model>[?seed=N]',
        })
        .option('json', { type: 'boolean', default: false, describe: 'One JSON document on stdout' })
        .option('record', { type: 'string', describe: 'Write a masked transcript of every frame to FILE' }),
    ) as never,
  run: async (args) => (await import('../run/identify.js')).runIdentify(args),
});

import { defineCommand } from '../command.js';
import type { DemoArgs } from '../run/demo.js';

export const demoCommand = defineCommand<DemoArgs>({
  command: 'demo',
  describe: 'Rehearse a whole decommission on a built-in simulated terminal, with a throw-away PKI',
  builder: (y) =>
    y
      .option('out', { type: 'string', describe: 'Output directory (default: ./posdecom-demo-<time>)' })
      .option('model', {
        type: 'string',
        default: 'countertop',
        choices: ['countertop', 'mobile', 'unattended'],
        describe: 'Simulated terminal model',
      })
      .option('seed', { type: 'number', default: 1, describe: 'Simulated terminal seed' })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print one JSON summary on stdout',
      }) as never,
  run: async (args) => (await import('../run/demo.js')).runDemo(args),
});

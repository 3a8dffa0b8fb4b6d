import { defineCommand } from '../command.js';
import type { ReplayArgs } from '../run/replay.js';

export const replayCommand = defineCommand<ReplayArgs>({
  command: 'replay <file>',
  describe: 'Run the agent against a recorded transcript (--record) and report where it differs',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Transcript written by --record' })
      .option('json', { type: 'boolean', default: false, describe: 'One JSON report on stdout' })
      .option('protocol', {
        type: 'string',
        choices: ['line', 'zvt'],
        describe: "The transcript's protocol [default: as its header says]",
      })
      .option('out', {
        type: 'string',
        describe: "Keep the replayed job's files (journal, backup, certificate) in this new directory",
      })
      .option('verbose', {
        type: 'boolean',
        default: false,
        describe: "Show the replayed agent's own output on stderr",
      }) as never,
  run: async (args) => (await import('../run/replay.js')).runReplay(args),
});

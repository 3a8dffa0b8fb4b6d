import yargs from 'yargs';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { describeError } from './errors-text.js';
import type { CliCommand } from './command.js';
import { commands } from './commands/index.js';
import { TOOL_VERSION } from './version.js';

class UsageStop extends Error {}

/** Help is laid out for this width; bin/posdecom.js serves a cached copy made at this width. */
export const HELP_WIDTH = 100;

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Success;
  let usageError: string | undefined;
  const parser = yargs(argv)
    .scriptName('posdecom')
    .exitProcess(false)
    .usage('$0 <command> [options]\n\nRetire payment terminals safely.')
    .version(TOOL_VERSION)
    .strict()
    .demandCommand(1, 'Name a command; see posdecom --help.')
    .recommendCommands()
    .help()
    .wrap(Math.min(HELP_WIDTH, process.stdout.columns ?? HELP_WIDTH))
    .fail((msg, err) => {
      // Throwing stops yargs before any handler runs; recording alone would let it go on.
      if (err instanceof Error && !msg) throw err;
      // One line for the technician, even where yargs lays a message out over several.
      usageError = (msg ?? String(err)).replace(/\s*\n\s*/g, ' ');
      throw new UsageStop();
    });
  for (const cmd of commands as CliCommand[]) {
    parser.command({
      command: cmd.command,
      describe: cmd.describe,
      builder: cmd.builder,
      handler: async (args) => {
        exitCode = await cmd.run(args as Record<string, unknown>);
      },
    });
  }
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof UsageStop || usageError !== undefined) {
      process.stderr.write(`posdecom: ${usageError ?? 'bad arguments'}\n`);
      return ExitCode.Usage;
    }
    process.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
  if (usageError !== undefined) {
    process.stderr.write(`posdecom: ${usageError}\n`);
    return ExitCode.Usage;
  }
  return exitCode;
}

import type { Argv } from 'yargs';

/**
 * A CLI command: yargs builder plus a lazily loaded runner that returns the exit code.
 * Only agent/cli.ts sets the process exit code (STYLE.md: handlers return, the bin decides).
 */
export interface CliCommand<A = Record<string, unknown>> {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv<A>;
  run: (args: A) => Promise<number>;
}

/** Keeps the argument type at definition while the registry stores commands uniformly. */
export function defineCommand<A>(cmd: CliCommand<A>): CliCommand<Record<string, unknown>> {
  return cmd as unknown as CliCommand<Record<string, unknown>>;
}

/** Where a command's output goes: the process's streams, or a replay's capture (agent/replay/replay.ts). */
export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export const PROCESS_IO: CommandIo = { stdout: process.stdout, stderr: process.stderr };

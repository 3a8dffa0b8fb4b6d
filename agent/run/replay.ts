import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PROCESS_IO, type CommandIo } from '../command.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { replayFile } from '../replay/replay.js';
import { reportText } from '../replay/report.js';

export interface ReplayArgs {
  file: string;
  /** line or zvt: checked against the transcript's header, which says it anyway. */
  protocol?: string;
  json: boolean;
  out?: string;
  verbose: boolean;
}

/** `posdecom replay FILE`: exit 0 when the session replays, 10 (verification failed) when not. */
export async function runReplay(args: ReplayArgs, io: CommandIo = PROCESS_IO): Promise<number> {
  try {
    if (args.out && existsSync(args.out)) {
      throw new PosdecomError(
        ErrorCode.UsageInvalid,
        `--out ${args.out} already exists; choose a new directory`,
      );
    }
    const report = await replayFile(args.file, {
      ...(args.protocol === 'line' || args.protocol === 'zvt' ? { protocol: args.protocol } : {}),
      ...(args.out ? { workDir: resolve(args.out) } : {}),
      ...(args.verbose ? { io: { stdout: io.stderr, stderr: io.stderr } } : {}),
    });
    if (args.json) io.stdout.write(JSON.stringify(jsonReport(report)) + '\n');
    else io.stdout.write(reportText(report));
    return report.ok ? ExitCode.Success : ExitCode.VerifyFailed;
  } catch (err) {
    io.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}

/** The report without the transcript header's bulk: what a CI job or a script wants to read. */
function jsonReport(r: Awaited<ReturnType<typeof replayFile>>): Record<string, unknown> {
  return {
    source: r.source,
    ok: r.ok,
    requests: r.requests,
    runs: r.runs.map(({ header, ...run }) => ({
      ...run,
      recorded: {
        tool: header.tool,
        protocol: header.protocol,
        port: header.port,
        identity: header.identity ?? null,
      },
    })),
    divergence: r.divergence ?? null,
  };
}

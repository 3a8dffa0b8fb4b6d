import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { ExitCode, exitCodeFor, worstExitCode } from '../exit-codes.js';
import { checkAttestationSerials, readAttestations, type AttestationRequest } from '../attest-file.js';
import { describeError } from '../errors-text.js';
import { partBytesFrom, portSettingsFrom, sessionOptionsFrom, type PortArgs } from '../options.js';
import { installInterruptHandlers } from '../interrupt.js';
import { resolveProtocol } from '../protocol-choice.js';
import { confirmOnTty } from '../prompt.js';
import { createJobBoard, fleetTable, type JobBoard } from '../job-board.js';
import { createReporter } from '../reporter.js';
import { loadSignerFrom, resolveKeyPaths } from '../signing-config.js';
import { credentialFor, readWorkOrders, type WorkOrder } from '../work-order.js';
import { runDecommission, type JobResult } from '../workflow/runner.js';
import { summaryTable, unstartedSummary } from '../workflow/summary.js';

export interface DecommissionArgs extends PortArgs {
  port: string[];
  'work-order': string[];
  out: string;
  resume: boolean;
  'dry-run': boolean;
  yes: boolean;
  json: boolean;
  'allow-unsettled': boolean;
  /** Undefined: keep, or what a resumed job started with. */
  'card-data-backup'?: 'keep' | 'omit';
  'backup-recipient'?: string;
  'sign-key'?: string;
  'sign-cert'?: string;
  chain?: string;
  config?: string;
  attest?: string[];
  record?: string;
  'reconnect-wait': number;
  'backup-part-size'?: number;
}

/** `posdecom decommission`: one job per --port, run side by side (README: decommission). */
export async function runDecommissionCommand(args: DecommissionArgs): Promise<number> {
  const uninstall = installInterruptHandlers();
  try {
    const ports = args.port;
    checkPorts(args);
    const ordersPerJob = assignWorkOrders(
      ports,
      args['work-order'].map((f) => readWorkOrders(f)),
    );
    const attestations = await attestationsOf(args, ordersPerJob);
    const paths = resolveKeyPaths(
      {
        backupRecipient: args['backup-recipient'],
        signKey: args['sign-key'],
        signCert: args['sign-cert'],
        chain: args.chain,
      },
      args.config,
    );
    const partBytes = partBytesFrom(args['backup-part-size']);
    const protocols = ports.map((p) => resolveProtocol(args.protocol, p));
    // A ZVT job authorizes with the terminal's password: a work order without one (or whose
    // variable is unset) stops here, before any terminal is touched.
    protocols.forEach((p, i) => p === 'zvt' && ordersPerJob[i]!.forEach((w) => credentialFor(w, 'zvt')));
    const signer = await loadSignerFrom(paths);
    const human = args.json ? process.stderr : process.stdout;
    const board =
      ports.length > 1
        ? createJobBoard({ stream: human, tty: Boolean(human.isTTY), labels: ports })
        : undefined;
    const confirm = oneQuestionAtATime(board);
    const jobs = ports.map((port, i) => {
      const dir = ports.length === 1 ? args.out : join(args.out, jobDirName(i, port));
      const reporter = board
        ? board.reporter(i)
        : createReporter({ stream: human, tty: Boolean(human.isTTY) });
      const job = runDecommission({
        port,
        protocol: protocols[i]!,
        settings: portSettingsFrom(args, protocols[i]),
        dir,
        workOrders: ordersPerJob[i]!,
        resume: args.resume,
        dryRun: args['dry-run'],
        yes: args.yes,
        allowUnsettled: args['allow-unsettled'],
        ...(args['card-data-backup'] ? { cardDataBackup: args['card-data-backup'] } : {}),
        recipientPath: paths.backupRecipient,
        signer,
        ...(partBytes ? { partBytes } : {}),
        ...(args.record ? { record: args.record } : {}),
        session: sessionOptionsFrom(args),
        reconnectWaitMs: Math.max(0, args['reconnect-wait']) * 1000,
        attestations,
        reporter,
        confirm: (plan) => confirm(plan, port),
      }).catch((err: unknown): JobResult => {
        reporter.error(describeError(err));
        const code = exitCodeFor(err);
        return { exitCode: code, summary: unstartedSummary(port, dir, code, describeError(err)) };
      });
      return job.then((result) => {
        board?.finished(i, result.summary.overall, result.exitCode);
        return result;
      });
    });
    const results = await Promise.all(jobs);
    board?.close();
    return printResults(args.json, human, results);
  } catch (err) {
    process.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    uninstall();
  }
}

/** The checks on --port (and what goes with it) that need no file and no terminal. */
function checkPorts(args: DecommissionArgs): void {
  const ports = args.port;
  if (!args.yes && !args['dry-run'] && !process.stdin.isTTY) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      'no terminal to ask for confirmation on: pass --yes to go ahead',
    );
  }
  if (ports.length > 1 && args.record) {
    throw new PosdecomError(ErrorCode.UsageInvalid, '--record takes one terminal at a time');
  }
  // Two jobs on one port would take the terminal from each other mid-step.
  const twice = ports.find((p, i) => ports.indexOf(p) !== i);
  if (twice !== undefined) {
    throw new PosdecomError(ErrorCode.UsageInvalid, `--port ${twice} is given twice: one job per terminal`);
  }
}

/** With several terminals, each job's directory under --out: "2-dev-ttyUSB1". */
function jobDirName(i: number, port: string): string {
  return `${i + 1}-${port
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)}`;
}

/** One question at a time, even with several terminals. */
function oneQuestionAtATime(board: JobBoard | undefined): (plan: string, port: string) => Promise<boolean> {
  let confirmQueue: Promise<unknown> = Promise.resolve();
  return (plan, port) => {
    const asked = confirmQueue.then(async () => {
      // The live rows would overwrite the question; the other jobs' lines wait for the answer.
      const resume = board?.suspend();
      try {
        return await confirmOnTty(plan, `Decommission terminal on ${port}?`);
      } finally {
        resume?.();
      }
    });
    confirmQueue = asked.catch(() => undefined);
    return asked;
  };
}

/** The jobs' summaries (JSON, or a table each) and the worst exit code, which the command returns. */
function printResults(json: boolean, human: NodeJS.WriteStream, results: JobResult[]): number {
  const exitCode = worstExitCode(results.map((r) => r.exitCode));
  if (json) {
    const out =
      results.length === 1 ? results[0]!.summary : { exitCode, jobs: results.map((r) => r.summary) };
    process.stdout.write(JSON.stringify(out) + '\n');
  } else {
    for (const r of results) human.write(summaryTable(r.summary));
    // Several terminals: one line each at the end, so the worst outcome cannot scroll away.
    if (results.length > 1) {
      const rows = results.map((r) => r.summary);
      human.write(fleetTable(rows, exitCode));
    }
  }
  return exitCode;
}

function assignWorkOrders(ports: string[], files: WorkOrder[][]): WorkOrder[][] {
  if (files.length === ports.length) return files;
  if (files.length === 1) return ports.map(() => files[0]!);
  throw new PosdecomError(
    ErrorCode.UsageInvalid,
    `${ports.length} --port but ${files.length} --work-order: give one work order per port, or one file listing them all`,
  );
}

export { ExitCode };

/** Every --attest file, read and checked against the run before any terminal is touched. */
async function attestationsOf(
  args: DecommissionArgs,
  ordersPerJob: WorkOrder[][],
): Promise<AttestationRequest[]> {
  const attestations: AttestationRequest[] = [];
  for (const file of args.attest ?? []) attestations.push(...(await readAttestations(file)));
  const serials = ordersPerJob.flat().map((w) => w.terminal.serial);
  checkAttestationSerials(attestations, serials, args.port.length);
  return attestations;
}

import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { renderCsv } from '../../wipe/report/csv.js';
import { discoverJobs, readError } from '../../wipe/report/discover.js';
import { buildEstate, estateOutcome, type Estate } from '../../wipe/report/estate.js';
import { renderHtml } from '../../wipe/report/html.js';
import { verifyAll } from '../../wipe/report/pool.js';
import { renderText } from '../../wipe/report/text.js';
import { trustFrom, type TrustSource } from '../../wipe/report/verify-job.js';
import { createCountProgress } from '../count-progress.js';
import { describeError } from '../errors-text.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

export interface ReportArgs {
  dirs: string[];
  ca: string;
  crl?: string;
  csv?: string;
  html?: string;
  json: boolean;
  jobs?: number;
}

export interface ReportIo {
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

const MAX_THREADS = 64;

/**
 * `posdecom report`: every job under DIR... verified as `verify` does, across cores, then the
 * estate summary (README: report). Exit 0 when every job verified and passed, 11 when some are
 * INCOMPLETE and none failed, 10 when any failed or could not be verified (or a directory could
 * not be read), 2 for bad flags, a missing DIR, an unusable CA or CRL, or no job at all.
 */
export async function runReport(args: ReportArgs, io: ReportIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  try {
    const threads = threadCount(args.jobs);
    const source = await readTrust(args);
    for (const dir of args.dirs) await requireDirectory(dir);
    const started = performance.now();
    const discovery = await discoverJobs(args.dirs);
    if (discovery.jobs.length === 0 && discovery.unreadable.length === 0) {
      throw new PosdecomError(
        ErrorCode.UsageBadFile,
        `no job directories (with certificate.json) under ${args.dirs.join(', ')}`,
      );
    }
    const progress = createCountProgress({
      stream: err,
      tty: Boolean(err.isTTY),
      label: 'verifying',
      unit: 'certificates',
    });
    const rows = await verifyAll(discovery.jobs, {
      trust: source,
      threads: Math.min(threads, Math.max(1, discovery.jobs.length)),
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.end();
    const estate = buildEstate(rows, discovery.unreadable, args.dirs);
    const seconds = (performance.now() - started) / 1000;
    await writeOutputs(estate, args);
    const human = args.json ? err : out;
    human.write(renderText(estate));
    human.write(
      `\nverified ${rows.length} certificate(s) on ${threads} thread(s) in ${seconds.toFixed(1)} s\n`,
    );
    if (args.json) out.write(`${JSON.stringify(estate)}\n`);
    const outcome = estateOutcome(estate);
    return outcome === 'passed'
      ? ExitCode.Success
      : outcome === 'incomplete'
        ? ExitCode.Incomplete
        : ExitCode.VerifyFailed;
  } catch (e) {
    err.write(`posdecom: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}

function threadCount(jobs: number | undefined): number {
  if (jobs === undefined) return availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_THREADS) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--jobs ${jobs}: want a whole number from 1 to ${MAX_THREADS}`,
    );
  }
  return jobs;
}

/** The CA and CRL as bytes for the threads, refused here (exit 2) when loadTrust would refuse them. */
async function readTrust(args: ReportArgs): Promise<TrustSource> {
  const caPem = (await readInput(args.ca, 'the CA certificate')).toString('utf8');
  try {
    new X509Certificate(caPem);
  } catch {
    throw new PosdecomError(ErrorCode.UsageBadFile, `--ca ${args.ca} is not a PEM certificate`);
  }
  const source: TrustSource = { caPem };
  if (args.crl !== undefined) source.crl = new Uint8Array(await readInput(args.crl, 'the CRL'));
  await trustFrom(source);
  return source;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read ${what} ${path}: ${readError(e)}`);
  }
}

async function requireDirectory(dir: string): Promise<void> {
  const st = await stat(dir).catch((e: unknown) => {
    throw new PosdecomError(ErrorCode.UsageBadFile, `${dir}: ${readError(e)}`);
  });
  if (!st.isDirectory()) throw new PosdecomError(ErrorCode.UsageBadFile, `${dir} is not a directory`);
}

async function writeOutputs(estate: Estate, args: ReportArgs): Promise<void> {
  const write = async (path: string, text: string) => {
    try {
      await writeFile(path, text);
    } catch (e) {
      throw new PosdecomError(ErrorCode.UsageBadFile, `cannot write ${path}: ${readError(e)}`);
    }
  };
  if (args.csv !== undefined) await write(args.csv, renderCsv(estate));
  if (args.html !== undefined) {
    const pageDir = dirname(resolve(args.html));
    await write(args.html, renderHtml(estate, { pageDir, generator: `${TOOL_NAME} ${TOOL_VERSION}` }));
  }
}

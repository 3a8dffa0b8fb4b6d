import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { registerSimulatedTerminal } from '../../protocol/transport/sim-registry.js';
import type { CommandIo } from '../command.js';
import { createReporter } from '../reporter.js';
import { DigestRepair } from './digests.js';
import type { Divergence } from './link.js';
import { ReplayPeer, type StepTally, type TamperHook } from './peer.js';
import { createReplayPki, runRecorded, type ReplayPki } from './run.js';
import { parseTranscript, type ScriptRun } from './script.js';
import { ZvtReplayPeer } from './zvt-peer.js';
import { isZvtTranscript, parseZvtTranscript, type ZvtScriptRun } from './zvt-script.js';
import type { TranscriptHeader } from '../transcript/format.js';

/**
 * `posdecom replay FILE`: each recorded run is run again with the agent's real code against a
 * terminal that answers from the transcript (replay/peer.ts). The session replays when every
 * request the agent sends matches the recorded one, in order, after normalisation
 * (replay/normalise.ts), nothing recorded is left unsent, and, where the transcript says how
 * the run ended, the agent ends the same way.
 */
export interface ReplayOptions {
  /** Where the replayed jobs write (journal, backup, certificate); default a temporary directory, removed after. */
  workDir?: string;
  /** A throw-away PKI to reuse across replays (tests); default: a new one per replay. */
  pki?: ReplayPki;
  /** The agent's own output; default: discarded. */
  io?: CommandIo;
  /** Changes a request on its way from the agent: for proving that a changed request is caught. */
  tamper?: TamperHook;
  stallMs?: number;
  /** The protocol the caller expects (`replay --protocol`); a transcript of the other is refused. */
  protocol?: 'line' | 'zvt';
}

export interface RunReport {
  run: number;
  command: string;
  header: TranscriptHeader;
  exitCode: number | null;
  expectedExitCode: number | null;
  steps: StepTally[];
  links: { recorded: number; opened: number };
  divergence?: Divergence;
}

export interface ReplayReport {
  source: string;
  ok: boolean;
  requests: { recorded: number; matched: number };
  runs: RunReport[];
  divergence?: Divergence;
}

function discard(): NodeJS.WriteStream {
  return new Writable({ write: (_chunk, _enc, done) => done() }) as unknown as NodeJS.WriteStream;
}

export async function replayFile(path: string, o: ReplayOptions = {}): Promise<ReplayReport> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `cannot read transcript ${path}: ${err.code ?? err.message}`,
    );
  });
  return replayText(text, path, o);
}

export async function replayText(text: string, source: string, o: ReplayOptions = {}): Promise<ReplayReport> {
  // A ZVT transcript (header protocol zvt/...) is replayed by the ZVT peer; our line protocol's otherwise.
  const zvt = isZvtTranscript(text);
  if (o.protocol && o.protocol !== (zvt ? 'zvt' : 'line')) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--protocol ${o.protocol}: ${source} is a ${zvt ? 'ZVT' : 'line-protocol'} transcript`,
    );
  }
  const runs = zvt ? parseZvtTranscript(text, source) : parseTranscript(text, source);
  const digests = zvt ? undefined : new DigestRepair(runs as ScriptRun[]);
  // The throw-away PKI lives here, and the job too unless the caller wants to keep it.
  const scratch = await mkdtemp(join(tmpdir(), 'posdecom-replay-'));
  const dir = o.workDir ?? join(scratch, 'job');
  const io = o.io ?? { stdout: discard(), stderr: discard() };
  const reporter = createReporter({ stream: io.stderr, errorStream: io.stderr, tty: false });
  const reports: RunReport[] = [];
  try {
    const pki = o.pki ?? (await createReplayPki(join(scratch, 'pki')));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const run of runs) {
      const report = reports.some((r) => r.divergence)
        ? skipped(run)
        : await replayRun(run, digests, dir, pki, io, reporter, o);
      reports.push(report);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const divergence = reports.find((r) => r.divergence)?.divergence;
  const all = reports.flatMap((r) => r.steps);
  return {
    source,
    ok: divergence === undefined,
    requests: {
      recorded: all.reduce((n, s) => n + s.recorded, 0),
      matched: all.reduce((n, s) => n + s.matched, 0),
    },
    runs: reports,
    ...(divergence ? { divergence } : {}),
  };
}

async function replayRun(
  run: ScriptRun | ZvtScriptRun,
  digests: DigestRepair | undefined,
  dir: string,
  pki: ReplayPki,
  io: CommandIo,
  reporter: ReturnType<typeof createReporter>,
  o: ReplayOptions,
): Promise<RunReport> {
  const peer = digests
    ? new ReplayPeer(run as ScriptRun, digests, {
        ...(o.tamper ? { tamper: o.tamper } : {}),
        ...(o.stallMs !== undefined ? { stallMs: o.stallMs } : {}),
      })
    : new ZvtReplayPeer(run as ZvtScriptRun, o.stallMs !== undefined ? { stallMs: o.stallMs } : {});
  const port = `sim:replay?run=${run.index}&id=${randomUUID()}`;
  registerSimulatedTerminal(port, peer);
  const exitCode = await runRecorded(run.header, port, { dir, pki, io, reporter });
  const { steps, links } = peer.finish();
  const expected = run.expectExitCode ?? null;
  if (!peer.divergence && expected !== null && exitCode !== expected) {
    peer.diverge({
      kind: 'exit-code',
      step: peer.lastStep,
      message: `the agent exited ${exitCode}; the recorded run exited ${expected}`,
    });
  }
  return {
    run: run.index,
    command: run.header.command,
    header: run.header,
    exitCode,
    expectedExitCode: expected,
    steps,
    links: { recorded: run.sessions.length, opened: links },
    ...(peer.divergence ? { divergence: peer.divergence } : {}),
  };
}

/** A run after a divergence is not run: it would start from a job that went differently. */
function skipped(run: ScriptRun | ZvtScriptRun): RunReport {
  const steps = new Map<string, StepTally>();
  const items = run.sessions.flatMap((s) => ('frames' in s ? s.frames : s.apdus));
  for (const f of items) {
    if (f.dir !== 'out') continue;
    const t = steps.get(f.step) ?? { step: f.step, recorded: 0, matched: 0 };
    t.recorded++;
    steps.set(f.step, t);
  }
  return {
    run: run.index,
    command: run.header.command,
    header: run.header,
    exitCode: null,
    expectedExitCode: run.expectExitCode ?? null,
    steps: [...steps.values()],
    links: { recorded: run.sessions.length, opened: 0 },
  };
}

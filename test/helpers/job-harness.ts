import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exitCodeFor } from '../../agent/exit-codes.js';
import { describeError } from '../../agent/errors-text.js';
import { createReporter } from '../../agent/reporter.js';
import type { WorkOrder } from '../../agent/work-order.js';
import { runDecommission, type DecommissionOptions } from '../../agent/workflow/runner.js';
import { summaryTable, type JobSummary } from '../../agent/workflow/summary.js';
import { DEFAULT_SETTINGS } from '../../protocol/transport/port-spec.js';
import { registerSimulatedTerminal, type AttachablePeer } from '../../protocol/transport/sim-registry.js';
import { loadPrivateKey } from '../../wipe/pki/keys.js';
import { createOrganisationPki, type OrganisationPki } from '../../wipe/pki/organisation.js';
import { splitPem, type Signer } from '../../wipe/certificate/sign.js';

/**
 * One decommission job in-process, as `posdecom decommission --yes` runs it, for tests that
 * need a whole job: a throw-away PKI (one per test file, cheap key files), a peer registered
 * under its own `sim:` port, and everything the technician would have seen, captured.
 *
 *   const pki = await testPki();
 *   const run = await runJob({ peer: terminal, dir });
 *   expect(run.exitCode).toBe(0);
 */

export interface TestPki extends OrganisationPki {
  passphrase: string;
  signer: Signer;
  /** Removes the PKI's directory. */
  dispose(): Promise<void>;
}

const PKI_PASSPHRASE = 'job-harness-passphrase';

let shared: Promise<TestPki> | undefined;

/** The test file's PKI, made on first use (each test file runs in its own module graph). */
export function testPki(): Promise<TestPki> {
  shared ??= createTestPki();
  return shared;
}

/** A fresh PKI; 1,000 PBKDF2 rounds keep loading its keys cheap. */
export async function createTestPki(passphrase = PKI_PASSPHRASE): Promise<TestPki> {
  const root = await mkdtemp(join(tmpdir(), 'posdecom-pki-'));
  const made = await createOrganisationPki(join(root, 'pki'), {
    passphrase,
    technicianName: 'Test Technician',
    technicianEmail: 'technician@example.org',
    org: 'Test Estate Ltd',
    iterations: 1000,
  });
  const signer: Signer = {
    keyObject: await loadPrivateKey(made.technicianKeyPath, passphrase),
    certPem: made.technicianCertPem,
    chainPems: splitPem(await readFile(made.chainPath, 'utf8')),
  };
  return { ...made, passphrase, signer, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** What the work order must name: a peer that knows (a simulated terminal does), or the caller. */
export interface TerminalFacts {
  serial: string;
  model?: string;
  authorityCode: string;
}

interface KnowsItself {
  identity: { serial: string; model: string };
  authorityCode: string;
}

export interface RunJobInput {
  /** Output directory (DIR). */
  dir: string;
  /** A peer to register under a fresh `sim:` port for this job ... */
  peer?: AttachablePeer;
  /** ... or a port text: a `sim:` port the registry knows or can create. */
  port?: string;
  /** Needed unless the peer has `identity` and `authorityCode`, as a SimulatedTerminal does. */
  terminal?: TerminalFacts;
  workOrderOverrides?: Partial<WorkOrder>;
  /** Anything runDecommission takes; defaults: --yes, short session timeouts, a 1 s reconnect wait. */
  options?: Partial<Omit<DecommissionOptions, 'reporter'>>;
  pki?: TestPki;
}

export interface JobRun {
  exitCode: number;
  summary: JobSummary;
  dir: string;
  port: string;
  /** Everything the reporter printed (no TTY, so plain timestamped lines), then the summary table. */
  output: string;
  /** What it printed as errors (stderr, for the CLI): the one-line reason a job ended badly. */
  errors: string;
}

/** Timeouts short enough for tests, long enough for a loaded 2-core machine (four attempts each). */
export const TEST_SESSION = { requestTimeoutMs: 400, helloTimeoutMs: 800 } as const;

export function workOrderFor(t: TerminalFacts, overrides: Partial<WorkOrder> = {}): WorkOrder {
  return {
    id: `WO-TEST-${t.serial}`,
    terminal: { serial: t.serial, ...(t.model ? { model: t.model } : {}) },
    reason: 'end-of-lease',
    owner: { merchant: 'Test Café', location: '1 Test Street, Springfield' },
    technician: {
      name: 'Test Technician',
      organisation: 'Test Estate Ltd',
      contact: 'technician@example.org',
    },
    destination: 'return-to-provider',
    authority: { reference: `ACQ-AUTH-${t.serial}`, code: t.authorityCode },
    ...overrides,
  };
}

function knowsItself(peer: unknown): peer is KnowsItself {
  const p = peer as Partial<KnowsItself> | undefined;
  return typeof p?.authorityCode === 'string' && typeof p.identity?.serial === 'string';
}

export async function runJob(input: RunJobInput): Promise<JobRun> {
  const pki = input.pki ?? (await testPki());
  let port = input.port;
  if (input.peer) {
    port ??= `sim:job-harness?job=${randomUUID()}`;
    registerSimulatedTerminal(port, input.peer);
  }
  if (!port) throw new Error('runJob needs a peer or a port');
  const facts: TerminalFacts | undefined =
    input.terminal ??
    (knowsItself(input.peer)
      ? {
          serial: input.peer.identity.serial,
          model: input.peer.identity.model,
          authorityCode: input.peer.authorityCode,
        }
      : undefined);
  if (!facts) throw new Error('runJob needs `terminal` when the peer does not say who it is');
  const capture = (into: string[]) =>
    new Writable({
      write(chunk: Buffer | string, _enc, done) {
        into.push(chunk.toString());
        done();
      },
    }) as unknown as NodeJS.WriteStream;
  const out: string[] = [];
  const err: string[] = [];
  const reporter = createReporter({ stream: capture(out), errorStream: capture(err), tty: false });
  const started = Date.now();
  const o = input.options ?? {};
  const options: DecommissionOptions = {
    port,
    settings: DEFAULT_SETTINGS,
    dir: input.dir,
    workOrders: [workOrderFor(facts, input.workOrderOverrides)],
    resume: false,
    dryRun: false,
    yes: true,
    allowUnsettled: false,
    recipientPath: pki.recipientCertPath,
    signer: pki.signer,
    reconnectWaitMs: 1000,
    confirm: async () => true,
    ...o,
    session: { ...TEST_SESSION, ...o.session },
    reporter,
  };
  let exitCode: number;
  let summary: JobSummary;
  try {
    ({ exitCode, summary } = await runDecommission(options));
  } catch (error) {
    // What the CLI does with an error thrown before the job starts (runDecommissionCommand).
    exitCode = exitCodeFor(error);
    reporter.error(describeError(error));
    summary = {
      port,
      dir: input.dir,
      serial: null,
      model: null,
      workOrder: null,
      overall: 'INCOMPLETE',
      simulated: port.startsWith('sim:'),
      exitCode,
      stopReason: describeError(error),
      certificate: null,
      steps: [],
      durationMs: Date.now() - started,
    };
  }
  // What `posdecom decommission` prints at the end of every job.
  out.push(summaryTable(summary));
  return {
    exitCode,
    summary,
    dir: input.dir,
    port,
    output: out.join(''),
    errors: err.join(''),
  };
}

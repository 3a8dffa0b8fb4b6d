import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { describeError } from '../../agent/errors-text.js';
import { exitCodeFor } from '../../agent/exit-codes.js';
import type { Reporter } from '../../agent/reporter.js';
import { Journal, type JournalEntry } from '../../agent/journal.js';
import type { WorkOrder } from '../../agent/work-order.js';
import { runDecommission } from '../../agent/workflow/runner.js';
import { unstartedSummary, type JobSummary } from '../../agent/workflow/summary.js';
import { DEFAULT_SETTINGS } from '../../protocol/transport/port-spec.js';
import type { SessionOptions } from '../../protocol/line/session/session.js';
import { registerSimulatedTerminal } from '../../protocol/transport/sim-registry.js';
import { parseFaults, SimulatedTerminal, type SimOptions } from '../../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../../wipe/certificate/model.js';
import { loadPrivateKey } from '../../wipe/pki/keys.js';
import { restoreBackup } from '../../wipe/backup/restore.js';
import { verifyCertificate } from '../../wipe/verify/verify.js';
import { TEST_SESSION, testPki, workOrderFor, type TestPki } from './job-harness.js';
import { storeDigestsAsBackedUp } from './sim-terminals.js';

/**
 * In-process decommission jobs against the simulated terminal, for the fault matrix. Unlike
 * job-harness.ts (whose PKI and work orders it shares) it reaches into the run: a hook at every
 * step boundary, so a test can pull the cable exactly there; and the checks every faulted job
 * must pass in the end: backups byte-exact, nothing erased before its verified backup, each
 * store erased exactly once, a certificate that verifies.
 */

const scratchDirs: string[] = [];

export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `posdecom-${prefix}-`));
  scratchDirs.push(dir);
  return dir;
}

let pkiUsed = false;

/** The test file's throw-away PKI (job-harness.ts), removed again by removeScratch. */
export function sharedPki(): Promise<TestPki> {
  pkiUsed = true;
  return testPki();
}

const openRigs: Rig[] = [];

/**
 * End of a test file: closes every rig's terminal and removes every scratch dir and the PKI.
 * Run it in afterAll, not afterEach: concurrent cases each need their rig until they end.
 */
export async function removeScratch(): Promise<void> {
  for (const r of openRigs.splice(0)) await r.terminal.close();
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (pkiUsed) await (await testPki()).dispose();
}

/** Small stores and a quick flash: a whole job takes a fraction of a second. */
export const SMALL: Pick<SimOptions, 'storeScale' | 'eraseBytesPerSecond'> = {
  storeScale: 0.25,
  eraseBytesPerSecond: 1024 * 1024,
};

export interface Rig {
  terminal: SimulatedTerminal;
  port: string;
  /** sha256 of each store's real bytes as the job backs them up (after FORWARD and SETTLE): the ground truth. */
  truth: Map<string, string>;
  workOrder: WorkOrder;
}

let rigCount = 0;

/** A simulated terminal registered under a port text of its own, with its ground truth taken. */
export async function rig(
  o: { seed: number; faults?: string; model?: SimOptions['model'] } & Partial<SimOptions> = { seed: 1 },
): Promise<Rig> {
  const { faults, ...rest } = o;
  const options: SimOptions = { model: 'countertop', ...SMALL, ...rest };
  if (faults) options.faults = parseFaults(faults);
  const terminal = await SimulatedTerminal.create(options);
  const port = `sim:${options.model}?seed=${o.seed}&rig=${process.pid}-${++rigCount}`;
  registerSimulatedTerminal(port, terminal);
  const truth = await storeDigestsAsBackedUp(options);
  const workOrder = workOrderFor({ ...terminal.identity, authorityCode: terminal.authorityCode });
  const made: Rig = { terminal, port, truth, workOrder };
  openRigs.push(made);
  return made;
}

export interface QuietReporter extends Reporter {
  lines: string[];
}

/** Collects what the technician would see; `onStep` runs at every step boundary the runner reports. */
export function quietReporter(onStep?: (text: string) => void): QuietReporter {
  const lines: string[] = [];
  return {
    lines,
    step: (text) => {
      lines.push(`==> ${text}`);
      onStep?.(text);
    },
    info: (text) => lines.push(`    ${text}`),
    warn: (text) => lines.push(`!!  ${text}`),
    error: (text) => lines.push(`ERR ${text}`),
    print: (text) => lines.push(text),
    progress: () => undefined,
    endProgress: () => undefined,
  };
}

export interface JobRun {
  exitCode: number;
  summary: JobSummary;
  reporter: QuietReporter;
  /** The error a run was refused with before it started (what the CLI prints, then exits with). */
  refusal?: string;
}

export async function runJob(
  r: Rig,
  dir: string,
  o: {
    resume?: boolean;
    reconnectWaitMs?: number;
    session?: Partial<SessionOptions>;
    onStep?: (text: string) => void;
    record?: string;
  } = {},
): Promise<JobRun> {
  const p = await sharedPki();
  const reporter = quietReporter(o.onStep);
  const job = runDecommission({
    port: r.port,
    // A fast nominal line, so reply-time allowances stay small; the simulator is unpaced anyway.
    settings: { ...DEFAULT_SETTINGS, baudRate: 921_600 },
    dir,
    workOrders: [r.workOrder],
    resume: o.resume ?? false,
    dryRun: false,
    yes: true,
    allowUnsettled: false,
    recipientPath: p.recipientCertPath,
    signer: p.signer,
    ...(o.record ? { record: o.record } : {}),
    session: { ...TEST_SESSION, ...o.session },
    reconnectWaitMs: o.reconnectWaitMs ?? 5000,
    reporter,
    confirm: async () => true,
  });
  // An error thrown before the job starts becomes an exit code, as runDecommissionCommand does.
  return job.then(
    (result) => ({ ...result, reporter }),
    (err: unknown) => ({
      exitCode: exitCodeFor(err),
      summary: unstartedSummary(r.port, dir, exitCodeFor(err), describeError(err)),
      reporter,
      refusal: describeError(err),
    }),
  );
}

/** Resumes until the job finishes; each run must end finished (0) or interrupted again (9). */
export async function resumeUntilDone(
  r: Rig,
  dir: string,
  o: Parameters<typeof runJob>[2] = {},
  maxRuns = 5,
): Promise<JobRun> {
  for (let i = 0; ; i++) {
    const run = await runJob(r, dir, { ...o, resume: true });
    if (run.exitCode !== 9 || i + 1 >= maxRuns) return run;
  }
}

export function journalOf(dir: string): JournalEntry[] {
  return Journal.read(join(dir, 'journal.jsonl'));
}

export function certificateOf(dir: string): WipeCertificate {
  return JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Journal order: every store's verified backup result comes before that store's first erase
 * intent, and no erase intent at all comes before the last backup result (the machine's guard).
 */
export function expectBackupsBeforeErases(entries: JournalEntry[], stores: string[]): void {
  const at = (pred: (e: JournalEntry) => boolean) => entries.findIndex(pred);
  const firstErase = at((e) => e.type === 'intent' && e.step === 'erase');
  expect(firstErase, 'the job erased something').toBeGreaterThan(0);
  for (const store of stores) {
    const backedUp = at(
      (e) =>
        e.type === 'result' && e.step === 'backup' && e.target === store && e.data?.outcome === 'verified',
    );
    const erased = at((e) => e.type === 'intent' && e.step === 'erase' && e.target === store);
    expect(backedUp, `verified backup of ${store}`).toBeGreaterThan(0);
    expect(erased, `erase of ${store}`).toBeGreaterThan(0);
    expect(backedUp, `backup of ${store} before its erase`).toBeLessThan(erased);
    expect(backedUp, `backup of ${store} before any erase`).toBeLessThan(firstErase);
  }
}

/**
 * What every faulted job must end with: exit 0; each store's backup equal (manifest digests and
 * the decrypted bytes) to what the terminal held before the job; every store erased exactly once
 * and only after its verified backup; a certificate that verifies against the CA and says PASS
 * with every step PASS.
 */
export async function expectCleanFinish(r: Rig, dir: string, run: JobRun): Promise<WipeCertificate> {
  const p = await sharedPki();
  expect(run.exitCode, run.summary.stopReason ?? 'finished').toBe(0);
  const stores = r.terminal.storeNames;
  expectBackupsBeforeErases(journalOf(dir), stores);
  for (const store of stores) expect(r.terminal.eraseCount(store), `erases of ${store}`).toBe(1);
  const manifest = JSON.parse(readFileSync(join(dir, 'backup', 'manifest.json'), 'utf8')) as {
    stores: { name: string; status: string; terminalSha256: string; receivedSha256: string }[];
  };
  expect(manifest.stores.map((s) => s.name).sort()).toEqual([...stores].sort());
  for (const s of manifest.stores) {
    expect(s.status, s.name).toBe('ok');
    expect(s.terminalSha256, `${s.name}: digest the terminal reported`).toBe(r.truth.get(s.name));
    expect(s.receivedSha256, `${s.name}: digest of what arrived`).toBe(r.truth.get(s.name));
  }
  const restored = await restoreBackup({
    backupDir: join(dir, 'backup'),
    key: await loadPrivateKey(p.recipientKeyPath, p.passphrase),
    outDir: join(dir, 'restored'),
  });
  for (const s of restored.stores) {
    expect(s.status, `${s.name}: ${s.error ?? ''}`).toBe('restored');
    const bytes = readFileSync(join(dir, 'restored', s.output!));
    expect(sha256(bytes), `${s.name}: restored bytes`).toBe(r.truth.get(s.name));
  }
  return expectCertificate(dir, 'PASS');
}

/** The certificate verifies against the test CA (backup included) and has the given overall result. */
export async function expectCertificate(dir: string, overall: 'PASS' | 'FAIL'): Promise<WipeCertificate> {
  const p = await sharedPki();
  const report = await verifyCertificate(
    readFileSync(join(dir, 'certificate.json')),
    readFileSync(join(dir, 'certificate.p7s')),
    p.caCertPem,
    { backupDir: dir },
  );
  const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? ''}`);
  expect(failed).toEqual([]);
  expect(report.ok).toBe(true);
  const cert = certificateOf(dir);
  expect(cert.overall.result).toBe(overall);
  if (overall === 'PASS') {
    const notPass = cert.steps.filter((s) => s.result !== 'PASS').map((s) => `${s.step} ${s.target ?? ''}`);
    expect(notPass).toEqual([]);
  }
  return cert;
}

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAttestations } from '../agent/attest-file.js';
import { ExitCode } from '../agent/exit-codes.js';
import type { DecommissionOptions } from '../agent/workflow/job-run.js';
import { FILE_IDS } from '../protocol/zvt/codec/commands.js';
import { SimulatedZvtTerminal, type SimZvtOptions } from '../protocol/zvt/terminal/index.js';
import { luhnValid } from '../wipe/pci/patterns.js';
import { testPki, type JobRun } from './helpers/job-harness.js';
import { runZvtJob } from './helpers/zvt-job.js';

/**
 * What main's money-first and PCI work means over ZVT: ZVT has no command to see or forward a
 * store-and-forward queue, so that step is UNKNOWN with its reason and never PASS; every file
 * the backup streams goes through the PCI scan; --card-data-backup omit keeps no copy of the
 * files that may hold card data and still deletes them.
 */
const terminals: SimulatedZvtTerminal[] = [];
afterAll(async () => {
  for (const t of terminals) await t.close();
  await (await testPki()).dispose();
});

interface Step {
  step: string;
  target?: string;
  result: string;
  note?: string;
  evidence: Record<string, unknown>;
}

async function zvtJob(
  sim: Partial<SimZvtOptions>,
  options: Partial<Omit<DecommissionOptions, 'reporter'>> = {},
): Promise<{ run: JobRun; terminal: SimulatedZvtTerminal; steps: Step[]; overall: string }> {
  const terminal = await SimulatedZvtTerminal.create({ seed: 31, fileScale: 0.02, ...sim });
  terminals.push(terminal);
  const run = await runZvtJob(terminal, { options });
  const cert = JSON.parse(await readFile(join(run.dir, 'certificate.json'), 'utf8')) as {
    overall: { result: string };
    steps: Step[];
  };
  return { run, terminal, steps: cert.steps, overall: cert.overall.result };
}

const find = (steps: Step[], step: string, target?: string) =>
  steps.find((s) => s.step === step && s.target === target);

/** Clear, Luhn-valid PANs in a file's bytes, as the noncompliant simulator writes them. */
function clearPans(bytes: Buffer): string[] {
  return [...bytes.toString('latin1').matchAll(/(?<!\d)[2-6]\d{12,18}(?!\d)/g)]
    .map((m) => m[0])
    .filter(luhnValid);
}

describe('a ZVT job and the store-and-forward queue', () => {
  it('records forward-saf UNKNOWN with its reason, sends nothing for it, and settles next', async () => {
    const record = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-saf-')), 'transcript.jsonl');
    const { run, steps, overall } = await zvtJob({}, { record });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(overall).toBe('INCOMPLETE');
    expect(find(steps, 'forward-saf')).toMatchObject({
      result: 'UNKNOWN',
      note: expect.stringMatching(
        /not possible over zvt\/PA00P015: no standard command to report or forward/,
      ),
      evidence: { attempted: false, queueReported: false },
    });
    expect(find(steps, 'settle')?.result).toBe('PASS');
    const entries = (await readFile(record, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { step?: string; hex?: string });
    expect(entries.filter((e) => e.step === 'forward-saf' && e.hex)).toEqual([]);
  });

  it('takes the technician attesting a forward by hand: ATTESTED, never PASS', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-attest-')), 'attest.json');
    await writeFile(
      file,
      JSON.stringify({
        step: 'forward-saf',
        statement: 'offline payments forwarded from the terminal menu before the job',
        time: new Date(Date.now() - 60_000).toISOString(),
      }),
    );
    const { run, steps, overall } = await zvtJob({}, { attestations: await readAttestations(file) });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(find(steps, 'forward-saf')?.result).toBe('ATTESTED');
    expect(overall).toBe('INCOMPLETE');
  });
});

describe('a ZVT job and the PCI scan', () => {
  it('scans every byte of every file the backup streams and finds nothing in a compliant terminal', async () => {
    const { run, terminal, steps } = await zvtJob({});
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    for (const f of terminal.snapshot().files) {
      expect(find(steps, 'backup', f.name), f.name).toMatchObject({
        result: 'PASS',
        evidence: { pci: { scannedBytes: f.size, clauses: [] } },
      });
    }
  });

  it("reports clear PANs and track data in a noncompliant terminal's journals (WARN, clause), and its transcript keeps none", async () => {
    const record = join(await mkdtemp(join(tmpdir(), 'posdecom-zvt-pci-rec-')), 'transcript.jsonl');
    const { run, terminal, steps, overall } = await zvtJob({ noncompliant: true }, { record });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    expect(overall).not.toBe('PASS');
    const journal = find(steps, 'backup', 'merchant-journal')!;
    expect(journal).toMatchObject({
      result: 'WARN',
      note: expect.stringMatching(/PCI DSS 3\.3\.1: .*PCI DSS 3\.4\/3\.5\.1: \d+ clear PANs/),
      evidence: { pci: { clauses: ['3.3.1', '3.4', '3.5.1'] } },
    });
    expect((journal.evidence.pci as { clearPan: { count: number } }).clearPan.count).toBeGreaterThan(0);
    expect(find(steps, 'backup', 'configuration')?.result).toBe('PASS');
    expect(run.output).toMatch(/PCI finding in merchant-journal: PCI DSS/);
    // Deleted after the backup like any other file: a finding is a finding, not a stop.
    expect(terminal.snapshot().files.every((f) => f.deleted)).toBe(true);
    const pans = clearPans(terminal.fileBytes(FILE_IDS.merchantJournal));
    expect(pans.length).toBeGreaterThan(0);
    const transcript = await readFile(record, 'utf8');
    for (const pan of pans.slice(0, 50)) {
      expect(transcript).not.toContain(Buffer.from(pan, 'latin1').toString('hex'));
      expect(transcript).not.toContain(pan);
    }
  });
});

describe('a ZVT job with --card-data-backup omit', () => {
  it('keeps no copy of the files that may hold card data, deletes them, and backs up the rest', async () => {
    const { run, terminal, steps } = await zvtJob({}, { cardDataBackup: 'omit' });
    expect(run.exitCode, run.output).toBe(ExitCode.Incomplete);
    for (const name of ['merchant-journal', 'customer-journal', 'reconciliation', 'event-log']) {
      expect(find(steps, 'backup', name), name).toMatchObject({
        result: 'WARN',
        evidence: { omitted: true, terminalSha256: null, digestsMatch: null },
      });
      expect(find(steps, 'erase-verification', name)?.result).toBe('PASS');
    }
    expect(find(steps, 'backup', 'configuration')?.result).toBe('PASS');
    expect(terminal.snapshot().files.every((f) => f.deleted)).toBe(true);
    const backups = JSON.stringify(steps.filter((s) => s.step === 'backup').map((s) => s.evidence.file));
    expect(backups).not.toMatch(/journal|reconciliation|event-log/);
  });
});

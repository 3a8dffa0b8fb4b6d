import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { StepRecord, WipeCertificate } from '../wipe/certificate/model.js';
import { binaryForms, filesUnder, findPans, scan } from './helpers/hostile-leak-scanner.js';
import { runJob, type JobRun } from './helpers/job-harness.js';
import { authorizedSession } from './helpers/sim-terminals.js';

/**
 * A terminal that keeps what PCI DSS forbids (the simulator's `noncompliant` option: clear PANs
 * and track data in batch, saf and journal) is decommissioned like any other, and every store's
 * backup step says what the scan found: WARN, the clause, counts that match what the terminal
 * holds, offsets, and never a digit of it, in any output. A compliant terminal gets no finding.
 * The batch's card data leaves with the settlement (SPEC.md s.6.7: the batch store is emptied)
 * before any backup, so the batch store's backup has nothing to find.
 */
const SIZES = { saf: 16_384, batch: 16_384 };
let root: string;
let run: JobRun;
let cert: WipeCertificate;
let entries: JournalEntry[];
const pans = new Set<string>();
let compliant: { run: JobRun; cert: WipeCertificate };

/** Whole records in a 0xA5-framed store (the generation blocks hold whole records only). */
function records(bytes: Buffer): number {
  let n = 0;
  for (let i = 0; i + 4 <= bytes.length;) {
    if (bytes[i] !== 0xa5) {
      i++;
      continue;
    }
    n++;
    i += bytes.readUInt16BE(i + 2) + 5;
  }
  return n;
}
const counts = new Map<string, number>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'posdecom-pci-'));
  const options = { model: 'countertop' as const, seed: 91, noncompliant: true, storeSizes: SIZES };
  // Ground truth from a twin, its queue forwarded as the job will forward it.
  const twin = await SimulatedTerminal.create(options);
  const c = await authorizedSession(twin);
  await c.request('FORWARD', { op: 'truth' });
  c.close();
  for (const store of ['saf', 'batch', 'journal']) {
    const bytes = twin.readStoreBytes(store, 0, twin.storeSize(store));
    if (store !== 'journal') counts.set(store, records(bytes));
    for (const pan of findPans(bytes.toString('latin1'))) pans.add(pan);
  }
  await twin.close();
  const sim = await SimulatedTerminal.create(options);
  // The smallest line: the stores arrive in many replies, so card numbers are cut by chunk edges.
  run = await runJob({ peer: sim, dir: join(root, 'job'), options: { session: { maxLine: 4096 } } });
  await sim.close();
  cert = JSON.parse(readFileSync(join(root, 'job', 'certificate.json'), 'utf8')) as WipeCertificate;
  entries = readFileSync(join(root, 'job', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);
  const clean = await SimulatedTerminal.create({ model: 'countertop', seed: 92 });
  const cleanRun = await runJob({ peer: clean, dir: join(root, 'clean') });
  await clean.close();
  compliant = {
    run: cleanRun,
    cert: JSON.parse(readFileSync(join(root, 'clean', 'certificate.json'), 'utf8')) as WipeCertificate,
  };
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const backupOf = (c: WipeCertificate, store: string): StepRecord =>
  c.steps.find((s) => s.step === 'backup' && s.target === store)!;
interface Pci {
  clauses: string[];
  clearPan: { count: number; ascii: number; bcd: number; offsets: number[] };
  trackData: { count: number; track1: number; track2Ascii: number; track2Bcd: number; offsets: number[] };
}

describe('a noncompliant terminal’s card data', () => {
  it('completes the job, backed up and erased, with a PCI finding (WARN) on the backup of each store holding it', () => {
    expect(run.exitCode, run.output).toBe(0);
    // A WARN is a PASS with findings (certificate v2): listed in overall.findings, never hidden.
    expect(cert.overall.result).toBe('PASS');
    expect(cert.overall.findings.join('\n')).toMatch(/backup \(saf\): WARN \(PCI DSS 3\.3\.1/);
    for (const store of ['saf', 'journal']) {
      const b = backupOf(cert, store);
      expect(b.result, store).toBe('WARN');
      expect(b.note, store).toMatch(
        /PCI DSS 3\.3\.1: \d+ track data records .*; PCI DSS 3\.4\/3\.5\.1: \d+ clear PANs/,
      );
      expect((b.evidence.pci as Pci).clauses).toEqual(['3.3.1', '3.4', '3.5.1']);
    }
    for (const store of ['batch', 'settlements', 'logs', 'config'])
      expect(backupOf(cert, store).result, store).toBe('PASS');
    expect(run.output).toMatch(/PCI finding in saf: PCI DSS 3\.3\.1/);
  });

  it('counts exactly what the terminal holds: one clear PAN, one track, one tag 5A and one tag 57 per record', () => {
    // Settled before its backup: the batch store holds no record, so no card data, any more.
    const batch = backupOf(cert, 'batch').evidence.pci as Pci;
    expect(counts.get('batch')).toBeGreaterThan(50);
    expect(batch.clearPan.count + batch.trackData.count).toBe(0);
    for (const store of ['saf']) {
      const n = counts.get(store)!;
      expect(n).toBeGreaterThan(50);
      const pci = backupOf(cert, store).evidence.pci as Pci;
      expect(pci.clearPan).toMatchObject({ count: 2 * n, ascii: n, bcd: n });
      expect(pci.trackData).toMatchObject({ count: 2 * n, track2Bcd: n });
      expect(pci.trackData.track1 + pci.trackData.track2Ascii).toBe(n);
      expect(pci.clearPan.offsets.length).toBe(16);
      expect(pci.clearPan.offsets).toEqual([...pci.clearPan.offsets].sort((a, b) => a - b));
    }
    const journal = backupOf(cert, 'journal').evidence.pci as Pci;
    // Each sale in the journal prints the clear PAN and logs track 2 on its detail line.
    expect(journal.clearPan.ascii).toBeGreaterThan(50);
    expect(journal.trackData.track2Ascii).toBe(journal.clearPan.ascii);
  });

  it('is journaled as a finding with counts only', () => {
    const notes = entries.filter((e) => e.type === 'note' && e.data?.event === 'pci-finding');
    expect(notes.map((n) => n.data?.store).sort()).toEqual(['journal', 'saf']);
    for (const n of notes)
      expect(Object.keys(n.data!).sort()).toEqual(['clauses', 'clearPan', 'event', 'store', 'trackData']);
  });

  it('reaches no output: no card number in ASCII or packed BCD in the journal, audit log, certificate or the technician’s screen', async () => {
    expect(pans.size).toBeGreaterThan(100);
    const bcd = (pan: string) => Buffer.from(pan.length % 2 === 0 ? pan : `${pan}F`, 'hex');
    const secrets = [...pans].map((pan) => binaryForms('a card number in packed BCD', bcd(pan)));
    const files = await filesUnder(join(root, 'job'));
    const sources = [...files, { name: 'output', bytes: Buffer.from(run.output + run.errors, 'latin1') }];
    expect(sources.map((s) => s.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/audit\.log$/)]),
    );
    expect(scan(sources, secrets)).toEqual([]);
  });
});

describe('a compliant terminal', () => {
  it('gets no finding: every backup PASS with a clean scan, and the certificate can PASS', () => {
    expect(compliant.run.exitCode, compliant.run.output).toBe(0);
    expect(compliant.cert.overall.result).toBe('PASS');
    for (const store of ['saf', 'batch', 'journal']) {
      const b = backupOf(compliant.cert, store);
      expect(b.result).toBe('PASS');
      expect(b.evidence.pci).toMatchObject({ clauses: [], clearPan: { count: 0 }, trackData: { count: 0 } });
    }
  });
});

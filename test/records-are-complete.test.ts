import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, type JournalEntry } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { runJob, testPki, type JobRun } from './helpers/job-harness.js';

/**
 * The records are complete (issue 11): every step has an intent before its result, identify,
 * authorize and inventory included; the journal ends with the certificate step's result, and
 * the certificate still binds the journal by digest; the audit log records the authorization
 * (reference and result, never the code); evidence after finalize does not claim the session is
 * still authorized.
 */

let root: string;
let terminal: SimulatedTerminal;
let run: JobRun;
let journal: JournalEntry[];
let cert: WipeCertificate;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'posdecom-records-'));
  terminal = await SimulatedTerminal.create({ model: 'mobile', seed: 31, storeScale: 0.25 });
  run = await runJob({ peer: terminal, dir: join(root, 'job') });
  expect(run.exitCode, run.output).toBe(0);
  journal = Journal.read(join(run.dir, 'journal.jsonl'));
  cert = JSON.parse(readFileSync(join(run.dir, 'certificate.json'), 'utf8')) as WipeCertificate;
}, 60_000);

afterAll(async () => {
  await terminal.close();
  await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

describe('the records of a finished job', () => {
  it('journal an intent before every result, identify, authorize and inventory included', () => {
    const open = new Map<string, number>();
    for (const e of journal) {
      const key = `${e.step}|${e.target ?? ''}`;
      if (e.type === 'intent') open.set(key, (open.get(key) ?? 0) + 1);
      if (e.type === 'result') {
        expect(open.get(key) ?? 0, `a result of ${key} with no intent before it`).toBeGreaterThan(0);
        open.set(key, open.get(key)! - 1);
      }
    }
    const steps = journal.filter((e) => e.type === 'intent').map((e) => e.step);
    expect(steps.slice(0, 3)).toEqual(['identify', 'authorize', 'inventory']);
  });

  it("end with the certificate step's result, and the certificate binds the journal as it ends", () => {
    expect(journal.at(-1)).toMatchObject({
      type: 'result',
      step: 'certificate',
      data: { outcome: 'issued', final: true, certificateId: cert.certificateId, overall: 'PASS' },
    });
    const bytes = readFileSync(join(run.dir, 'journal.jsonl'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(cert.boundFiles.journalSha256);
  });

  it('keep the authorization in the audit log: reference and result, never the code', () => {
    const audit = readFileSync(join(run.dir, 'audit.log'), 'utf8');
    const lines = audit
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'authorization',
        authorityReference: `ACQ-AUTH-${terminal.identity.serial}`,
        result: 'authorized',
      }),
    );
    expect(audit).not.toContain(terminal.authorityCode);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'certificate issued', overall: 'PASS' }));
  });

  it('do not claim, after finalize, that the session is still authorized', () => {
    const finalize = cert.steps.find((s) => s.step === 'finalize')!;
    expect(finalize.result).toBe('PASS');
    expect(finalize.evidence.finalStatus).not.toHaveProperty('authorized');
    expect(JSON.stringify(finalize.evidence)).not.toMatch(/authorized/);
  });

  it('refuse a fresh run on the finished job directory', async () => {
    const again = await runJob({ peer: terminal, dir: run.dir });
    expect(again.exitCode).toBe(6);
    expect(again.errors).toMatch(/holds a finished job; choose another --out/);
  });
});

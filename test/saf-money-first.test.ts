import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../agent/journal.js';
import type { StepRecord, WipeCertificate } from '../wipe/certificate/model.js';
import { SimulatedTerminal, parseFaults, type SimOptions } from '../protocol/line/terminal/index.js';
import { HostileProxy } from './helpers/hostile-proxy.js';
import { runJob } from './helpers/job-harness.js';
import { authorizedSession } from './helpers/sim-terminals.js';

/**
 * Money first: the payments a terminal took offline wait in its store-and-forward queue and
 * are money only once forwarded. The job forwards them before it settles, stops (exit 6,
 * nothing erased) when they will not go, and with --allow-unsettled keeps the saf store on the
 * terminal, backed up, as it keeps an unsettled batch.
 */
const open: SimulatedTerminal[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A terminal behind a proxy that notes every request type the terminal receives, in order. */
async function watched(options: Partial<SimOptions> = {}): Promise<{ proxy: HostileProxy; seen: string[] }> {
  const sim = await SimulatedTerminal.create({ model: 'countertop', seed: 71, ...options });
  open.push(sim);
  const seen: string[] = [];
  const proxy = new HostileProxy(sim, [
    {
      toTerminal: (p) => {
        if (p.frame.kind === 'Q') seen.push(p.frame.type);
        return undefined;
      },
    },
  ]);
  return { proxy, seen };
}

function job(dir: string) {
  const entries = readFileSync(join(dir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);
  const certificate = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
  const step = (name: string, target?: string): StepRecord =>
    certificate.steps.find((s) => s.step === name && (target === undefined || s.target === target))!;
  return { entries, certificate, step };
}

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'posdecom-saf-'));
  dirs.push(d);
  return d;
}

describe('the store-and-forward queue', () => {
  it('is forwarded before the batch is settled, in the journal and on the terminal, and confirmed by STATUS', async () => {
    const { proxy, seen } = await watched();
    const dir = scratch();
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode, run.output).toBe(0);
    expect(seen.indexOf('FORWARD')).toBeGreaterThan(-1);
    expect(seen.indexOf('FORWARD')).toBeLessThan(seen.indexOf('SETTLE'));
    expect(seen.filter((t) => t === 'FORWARD')).toHaveLength(1);
    const { entries, step } = job(dir);
    const at = (type: string, name: string) => entries.findIndex((e) => e.type === type && e.step === name);
    expect(at('result', 'forward-saf')).toBeLessThan(at('intent', 'settle'));
    const forward = step('forward-saf');
    expect(forward.result).toBe('PASS');
    const before = forward.evidence.safBefore as { count: number; totals: unknown[] };
    expect(before.count).toBeGreaterThan(0);
    expect(forward.evidence.forwarded).toEqual(before);
    expect(forward.evidence.safAfter).toEqual({ count: 0, totals: [] });
    expect(forward.evidence.confirmedBy).toBe('STATUS');
    // Forwarding rewrote the saf store: it was inventoried again, and backed up as it is now.
    expect(entries.filter((e) => e.type === 'result' && e.step === 'inventory')).toHaveLength(2);
    expect(step('backup', 'saf').result).toBe('PASS');
  });

  it('sends no FORWARD when STATUS shows the queue empty, and still records what it saw', async () => {
    const { proxy, seen } = await watched();
    const c = await authorizedSession(proxy.sim);
    const forwarded = await c.request('FORWARD', { op: 'earlier-job:forward' });
    expect(forwarded, JSON.stringify(forwarded)).toMatchObject({ ok: true });
    c.close();
    const dir = scratch();
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode, run.output).toBe(0);
    expect(seen).not.toContain('FORWARD');
    const forward = job(dir).step('forward-saf');
    expect(forward).toMatchObject({ result: 'PASS', evidence: { safBefore: { count: 0, totals: [] } } });
  });

  it('stops the job with exit 6 and nothing erased or settled when the host will not take it', async () => {
    const { proxy, seen } = await watched({ faults: parseFaults('host-unreachable=FORWARD') });
    const dir = scratch();
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode, run.output).toBe(6);
    expect(run.errors).toMatch(/store-and-forward queue could not be forwarded/);
    expect(seen).not.toContain('SETTLE');
    expect(seen).not.toContain('ERASE');
    expect(Object.values(proxy.eraseCounts()).every((n) => n === 0)).toBe(true);
    const { certificate, step } = job(dir);
    expect(step('forward-saf')).toMatchObject({ result: 'FAIL', evidence: { refusal: 'HOST_UNREACHABLE' } });
    expect(certificate.overall.result).toBe('FAIL');
  });

  it('with --allow-unsettled settles, backs the saf store up and leaves it on the terminal, bound', async () => {
    const { proxy, seen } = await watched({ faults: parseFaults('host-unreachable=FORWARD') });
    const dir = scratch();
    const run = await runJob({ peer: proxy, dir, options: { allowUnsettled: true } });
    expect(run.exitCode, run.output).toBe(6);
    expect(seen).toContain('SETTLE');
    expect(seen).not.toContain('UNBIND');
    expect(seen).not.toContain('FINALIZE');
    expect(proxy.sim.eraseCount('saf')).toBe(0);
    expect(proxy.sim.eraseCount('batch')).toBe(1);
    const { certificate, step } = job(dir);
    expect(step('forward-saf').result).toBe('FAIL');
    expect(step('forward-saf').note).toMatch(
      /SAF store is backed up and left on the terminal \(--allow-unsettled\)/,
    );
    expect(step('backup', 'saf').result).toBe('PASS');
    expect(step('erase', 'saf')).toMatchObject({
      result: 'FAIL',
      evidence: { attempted: false, reason: 'the SAF queue was not forwarded' },
    });
    expect(step('unbind').evidence).toMatchObject({ attempted: false });
    expect(certificate.overall.result).toBe('FAIL');
    // The queue is still there, for the merchant's host to collect once it is back.
    const c = await authorizedSession(proxy.sim);
    expect(((await c.request('STATUS')).saf as { count: number }).count).toBeGreaterThan(0);
    c.close();
  });

  it('is reported UNKNOWN by a 1.0 terminal, whose saf store then stops the job before anything changes money', async () => {
    const { proxy, seen } = await watched({ protocol: '1.0' });
    const dir = scratch();
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode, run.output).toBe(6);
    expect(seen).not.toContain('FORWARD');
    expect(seen).not.toContain('SETTLE');
    const { entries, step } = job(dir);
    expect(entries[0]!.data?.protocol).toBe('posdecom-line/1.0');
    expect(step('forward-saf')).toMatchObject({
      result: 'UNKNOWN',
      evidence: { queueReported: false, safStores: ['saf'] },
    });
  });
});

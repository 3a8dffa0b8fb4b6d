import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedTerminal, parseFaults, type SimOptions } from '../protocol/line/terminal/index.js';
import type { StepRecord, WipeCertificate } from '../wipe/certificate/model.js';
import { HostileProxy, patched, readBytes, readReply, type Rule } from './helpers/hostile-proxy.js';
import { runJob, testPki } from './helpers/job-harness.js';

/**
 * A terminal that lies about an erase (issue 11, attacks 4 and 8): it returns the old data with
 * one bit flipped per 4 KiB block, which "changed" every block; or it answers ERASE with done at
 * once, and the evidence claimed an ERASE_STATUS nobody sent. Erase verification must prove the
 * data gone, and the evidence must say only what happened.
 */

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

const SMALL: Partial<SimOptions> = { storeScale: 0.25, eraseBytesPerSecond: 1024 ** 3 };

async function job(rules: Rule[], sim: Partial<SimOptions> = {}) {
  root ??= await mkdtemp(join(tmpdir(), 'posdecom-erase-lies-'));
  const dir = await mkdtemp(join(root, 'job-'));
  const terminal = await SimulatedTerminal.create({ model: 'countertop', seed: 77, ...SMALL, ...sim });
  const proxy = new HostileProxy(terminal, rules);
  try {
    const run = await runJob({ peer: proxy, dir });
    const cert = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
    return { run, cert, terminal };
  } finally {
    await terminal.close();
  }
}

function record(cert: WipeCertificate, step: string, target?: string): StepRecord {
  const found = cert.steps.find((s) => s.step === step && s.target === target);
  if (!found) throw new Error(`no ${step} ${target ?? ''}`);
  return found;
}

/** After the ERASE of `store`, every READ of it answers the same bytes with bit 0 of each 4 KiB block flipped. */
function bitFlipAfterErase(store: string): Rule & { flipped: number } {
  let erased = false;
  const rule = {
    flipped: 0,
    toTerminal: (p: Parameters<Required<Rule>['toTerminal']>[0]) => {
      if (p.frame.type === 'ERASE' && p.frame.header.store === store) erased = true;
      return undefined;
    },
    toAgent: (p: Parameters<Required<Rule>['toAgent']>[0], w: Parameters<Required<Rule>['toAgent']>[1]) => {
      if (!erased || p.frame.kind !== 'R' || p.frame.type !== 'READ' || p.frame.header.store !== store)
        return undefined;
      const offset = Number(p.frame.header.offset);
      const bytes = Buffer.from(readBytes(p.frame, w));
      for (let at = (4096 - (offset % 4096)) % 4096; at < bytes.length; at += 4096) {
        bytes[at]! ^= 0x01;
        rule.flipped++;
      }
      return readReply(p.frame, bytes, w);
    },
  };
  return rule;
}

describe('a terminal that lies about erasing', () => {
  it('fails the erase verification (exit 8) when the "erased" store reads back as its old data with one bit flipped per 4 KiB block', async () => {
    const flip = bitFlipAfterErase('saf');
    const { run, cert, terminal } = await job([flip], { faults: parseFaults('erase-lie=saf') });
    expect(run.exitCode, run.output).toBe(8);
    expect(flip.flipped, 'blocks read back with a bit flipped').toBeGreaterThan(0);
    const verification = record(cert, 'erase-verification', 'saf');
    expect(verification.result).toBe('FAIL');
    expect(verification.evidence).toMatchObject({ expected: 'random', readBack: true, passed: false });
    // Every sampled block was its own pre-erase block, a bit or two apart at most.
    expect(verification.evidence.nearPreEraseBlocks).toBe(verification.evidence.samples);
    expect((verification.evidence.nearest as { distanceBits: number }).distanceBits).toBeLessThanOrEqual(2);
    expect(verification.note).toMatch(/equal or nearly equal data from before the erase/);
    expect(record(cert, 'erase', 'saf').result).toBe('FAIL');
    expect(cert.overall.result).toBe('FAIL');
    expect(terminal.truth().decommissioned).toBe(false);
  });

  it('records confirmedBy ERASE, and sends no ERASE_STATUS, when the terminal answers ERASE with done at once', async () => {
    // A terminal that answers ERASE only when the erase is over: one answer, state done (s.6.11).
    const doneAtOnce: Rule = {
      toAgent: (p, w) => {
        if (p.frame.kind !== 'R' || p.frame.type !== 'ERASE' || p.frame.header.ok !== true) return undefined;
        const store = String(p.frame.header.store);
        const timer = setInterval(() => {
          if (!w.sim.truth().stores[store]?.erasedBytes) return;
          clearInterval(timer);
          w.toAgent(patched(p.frame, { state: 'done' }));
        }, 2);
        return 'drop';
      },
    };
    const { run, cert, terminal } = await job([doneAtOnce]);
    expect(run.exitCode, run.output).toBe(0);
    expect(terminal.stats().executed.ERASE_STATUS ?? 0).toBe(0);
    for (const store of terminal.storeNames) {
      const erase = record(cert, 'erase', store);
      expect(erase.evidence.confirmedBy, store).toBe('ERASE');
      expect(erase.evidence.terminalState, store).toBe('done');
      // The ERASE answer said nothing about the key (the terminal had not finished).
      expect(erase.evidence, store).not.toHaveProperty('keyDestroyed');
    }
  });

  it('records the key destroyed, and confirmedBy ERASE_STATUS, when a crypto erase is polled to its end', async () => {
    const { run, cert, terminal } = await job([], { eraseBytesPerSecond: 4 * 1024 * 1024 });
    expect(run.exitCode, run.output).toBe(0);
    expect(terminal.stats().executed.ERASE_STATUS ?? 0).toBeGreaterThan(0);
    for (const store of terminal.storeNames) {
      expect(record(cert, 'erase', store).evidence).toMatchObject({
        method: 'crypto',
        confirmedBy: 'ERASE_STATUS',
        keyDestroyed: true,
      });
    }
  });

  it('fails the erase (exit 8) when the terminal reports a crypto erase done with its media key kept', async () => {
    const keptKey: Rule = {
      toAgent: (p) =>
        p.frame.kind === 'R' && p.frame.type === 'ERASE_STATUS' && p.frame.header.state === 'done'
          ? patched(p.frame, { keyDestroyed: false })
          : undefined,
    };
    const { run, cert } = await job([keptKey], { eraseBytesPerSecond: 4 * 1024 * 1024 });
    expect(run.exitCode, run.output).toBe(8);
    const erase = record(cert, 'erase', 'journal');
    expect(erase).toMatchObject({
      result: 'FAIL',
      note: 'the terminal reports the media key was not destroyed',
      evidence: { keyDestroyed: false },
    });
  });
});

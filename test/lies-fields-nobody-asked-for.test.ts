import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { HostileProxy, patched, rawFrame, type Rule } from './helpers/hostile-proxy.js';
import { filesUnder, isLuhnValid, scan, textForms } from './helpers/hostile-leak-scanner.js';
import { runJob, testPki } from './helpers/job-harness.js';

/**
 * Fields a terminal adds that the protocol does not name (issue 11, attack 5): a track-2 string
 * in a STATUS field of its own went into the signed certificate; a field nested 6,000 deep
 * crashed the job after every store was erased, and `--resume` crashed the same way. Only
 * fields the catalogue names are read; the rest are counted per step and dropped.
 */

const PAN = '4761739001010119';
const TRACK2 = `;${PAN}=25122011000012300000?`;
const DEEP = 6000;

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

async function scratch(): Promise<string> {
  root ??= await mkdtemp(join(tmpdir(), 'posdecom-unknown-fields-'));
  return mkdtemp(join(root, 'job-'));
}

const SIM = { model: 'countertop' as const, seed: 81, storeScale: 0.25, eraseBytesPerSecond: 1024 ** 3 };

/** Every STATUS answer, once `from()` says so, carries a field nested `DEEP` levels (12 KB). */
function deepStatus(from: () => boolean): Rule {
  const deep = '['.repeat(DEEP) + ']'.repeat(DEEP);
  return {
    toAgent: (p) => {
      if (!from() || p.frame.kind !== 'R' || p.frame.type !== 'STATUS') return undefined;
      const header = JSON.stringify(p.frame.header);
      return rawFrame(p.frame.seq, 'R', 'STATUS', `${header.slice(0, -1)},"diag":${deep}}`);
    },
  };
}

describe('fields a terminal adds that the protocol does not name', () => {
  it('are dropped and counted: a track-2 string in STATUS reaches no journal, certificate, audit log, transcript or screen', async () => {
    expect(isLuhnValid(PAN)).toBe(true);
    const dir = await scratch();
    const terminal = await SimulatedTerminal.create(SIM);
    const rule: Rule = {
      toAgent: (p) =>
        p.frame.kind === 'R' && p.frame.type === 'STATUS'
          ? patched(p.frame, { diag: TRACK2, service: { code: TRACK2 } })
          : undefined,
    };
    try {
      const run = await runJob({
        peer: new HostileProxy(terminal, [rule]),
        dir,
        options: { record: join(dir, 'transcript.jsonl') },
      });
      expect(run.exitCode, run.output).toBe(0);
      const sources = [
        ...(await filesUnder(dir, [join(dir, 'backup')])),
        { name: 'screen', bytes: Buffer.from(run.output + run.errors) },
      ];
      expect(sources.map((s) => s.name)).toEqual(
        expect.arrayContaining([
          'journal.jsonl',
          'audit.log',
          'transcript.jsonl',
          'certificate.json',
          'certificate.pdf',
        ]),
      );
      expect(scan(sources, [textForms('the track-2 string', TRACK2), textForms('the PAN', PAN)])).toEqual([]);
      // Each step that read STATUS says how many fields it dropped, and nothing else about them.
      const cert = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
      const settle = cert.steps.find((s) => s.step === 'settle')!;
      expect(settle.evidence.terminalFieldsDropped).toBe(4);
      expect(JSON.stringify(cert)).not.toMatch(/diag|service/);
    } finally {
      await terminal.close();
    }
  });

  it('nested 6,000 deep after the erases began, do not crash the job: it ends with its certificate', async () => {
    const dir = await scratch();
    const terminal = await SimulatedTerminal.create(SIM);
    let erasing = false;
    const rules: Rule[] = [
      {
        toTerminal: (p) => {
          if (p.frame.type === 'ERASE') erasing = true;
          return undefined;
        },
      },
      deepStatus(() => erasing),
    ];
    try {
      const run = await runJob({ peer: new HostileProxy(terminal, rules), dir });
      expect(run.exitCode, run.output).toBe(0);
      expect(run.summary.overall).toBe('PASS');
      expect(terminal.truth().decommissioned).toBe(true);
      const journal = Journal.read(join(dir, 'journal.jsonl'));
      expect(journal.at(-1)).toMatchObject({ type: 'result', step: 'certificate', data: { final: true } });
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).not.toMatch(/\[\[\[/);
    } finally {
      await terminal.close();
    }
  });

  it('nested 6,000 deep in every STATUS, crash neither the job nor its --resume after a pulled cable', async () => {
    const dir = await scratch();
    const terminal = await SimulatedTerminal.create(SIM);
    let pulled = false;
    const rules: Rule[] = [
      {
        // The cable comes out on the first ERASE; the agent gives up (no reconnect wait).
        toTerminal: (p, w) => {
          if (pulled || p.frame.type !== 'ERASE') return undefined;
          pulled = true;
          w.hangUp();
          return 'drop';
        },
      },
      deepStatus(() => true),
    ];
    try {
      const proxy = new HostileProxy(terminal, rules);
      const first = await runJob({ peer: proxy, dir, options: { reconnectWaitMs: 0 } });
      expect(first.exitCode, first.output).toBe(9);
      const resumed = await runJob({ peer: proxy, dir, options: { resume: true, reconnectWaitMs: 0 } });
      expect(resumed.exitCode, resumed.output).toBe(0);
      expect(resumed.summary.overall).toBe('PASS');
    } finally {
      await terminal.close();
    }
  });
});

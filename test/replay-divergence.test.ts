import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeFrame, encodeFrame, type Frame } from '../protocol/line/frame.js';
import { replayText, type ReplayReport } from '../agent/replay/replay.js';
import { reportText } from '../agent/replay/report.js';
import { createReplayPki, type ReplayPki } from '../agent/replay/run.js';
import { parseTranscript, type ScriptFrame } from '../agent/replay/script.js';
import { Writable } from 'node:stream';
import { runReplay } from '../agent/run/replay.js';
import { runCli } from './helpers/cli.js';

/**
 * The fixtures are only worth having if they fail when the agent changes: each test here makes
 * the agent (or the recording it is held to) differ in one request and checks the replay fails,
 * naming the step of that request and showing the difference.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.jsonl`), 'utf8');
// Our line protocol's fixtures; ZVT's are held to the same rule in zvt-transcript-masking.test.ts.
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.jsonl') && !f.startsWith('zvt-'))
  .map((f) => f.replace(/\.jsonl$/, ''))
  .sort();

// A replay mostly waits (the agent polls an erase every 50 ms): run them all at once.
vi.setConfig({ maxConcurrency: 16 });

let pki: ReplayPki;
beforeAll(async () => {
  pki = await createReplayPki(join(mkdtempSync(join(tmpdir(), 'posdecom-divergence-')), 'pki'));
});

/** The recorded requests of a transcript, each with its run and its position in that run. */
function requests(text: string): { run: number; index: number; frame: ScriptFrame }[] {
  return parseTranscript(text, 'fixture').flatMap((r) =>
    r.sessions
      .flatMap((s) => s.frames.filter((f) => f.dir === 'out'))
      .map((frame, i) => ({ run: r.index, index: i + 1, frame })),
  );
}

/** A copy of a transcript with its JSON lines changed by `change` (null drops the line). */
function edited(
  text: string,
  change: (entry: Record<string, unknown>, frame: Frame | undefined) => unknown,
): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    const bytes =
      typeof entry.line === 'string'
        ? Buffer.from(entry.line, 'latin1')
        : typeof entry.b64 === 'string'
          ? Buffer.from(entry.b64, 'base64')
          : undefined;
    const decoded = bytes ? decodeFrame(bytes) : undefined;
    const result = change(entry, decoded?.ok ? decoded.frame : undefined);
    if (result === null) continue;
    for (const e of Array.isArray(result) ? result : [result]) out.push(JSON.stringify(e));
  }
  return out.join('\n') + '\n';
}

/** A frame line as the recorder writes it: text when printable, base64 otherwise. */
function frameLine(entry: Record<string, unknown>, f: Frame): Record<string, unknown> {
  const bytes = encodeFrame(f).subarray(0, -1);
  const { line: _line, b64: _b64, ...rest } = entry;
  return bytes.every((b) => b >= 0x20 && b < 0x7f)
    ? { ...rest, line: bytes.toString('latin1') }
    : { ...rest, b64: bytes.toString('base64') };
}

function failure(report: ReplayReport) {
  expect(report.ok, reportText(report)).toBe(false);
  return report.divergence!;
}

describe.concurrent('a changed request fails the replay and names its step', () => {
  // One request per fixture, picked from the first half of its conversation (to keep this fast;
  // later steps are covered below), is changed on its way from the agent.
  it.each(files)('%s', async (name) => {
    const text = fixture(name);
    const recorded = requests(text);
    const half = Math.ceil(recorded.length / 2);
    const target = recorded[(name.length * 7919 + recorded.length * 104729) % half]!;
    const report = await replayText(text, name, {
      pki,
      tamper: (f, index, run) =>
        run === target.run && index === target.index ? { ...f, header: { ...f.header, tampered: true } } : f,
    });
    const d = failure(report);
    expect(d).toMatchObject({
      kind: 'mismatch',
      run: target.run,
      request: target.index,
      step: target.frame.step,
    });
    expect(d.line).toBe(target.frame.lineNo);
    expect(d.diff!.filter((l) => l.startsWith('+ ') || l.startsWith('- '))).toEqual(['+   "tampered": true']);
    expect(reportText(report)).toContain(`step ${target.frame.step}`);
  });

  it('also when the change is to what kind of request it is', async () => {
    const text = fixture('unsettled-batch-stops');
    const target = requests(text).find((r) => r.frame.frame.type === 'SETTLE')!;
    const report = await replayText(text, 'settle', {
      pki,
      tamper: (f, index) => (index === target.index ? { ...f, type: 'PING', header: {} } : f),
    });
    const d = failure(report);
    expect(d).toMatchObject({ step: 'settle', request: target.index });
    expect(d.diff).toContain('- Q SETTLE');
    expect(d.diff).toContain('+ Q PING');
  });
});

describe.concurrent('a recording that differs from what the agent does fails the replay', () => {
  it('another erase method: the diff shows the field, under the erase step of that store', async () => {
    const text = edited(fixture('decommission-mobile'), (e, f) =>
      f?.type === 'ERASE' && f.kind === 'Q' && f.header.store === 'saf'
        ? frameLine(e, { ...f, header: { ...f.header, method: 'overwrite1' } })
        : e,
    );
    const d = failure(await replayText(text, 'edited', { pki }));
    expect(d).toMatchObject({ kind: 'mismatch', step: 'erase:saf' });
    expect(d.diff).toEqual([
      '  Q ERASE',
      '-   "method": "overwrite1"',
      '+   "method": "crypto"',
      '    "op": "*:erase:saf"',
      '    "store": "saf"',
    ]);
  });

  it('a job recorded with --allow-unsettled replayed without it stops where the recording goes on', async () => {
    const text = edited(fixture('unsettled-batch-allowed'), (e) =>
      e.kind === 'header' ? { ...e, options: { ...(e.options as object), allowUnsettled: false } } : e,
    );
    const d = failure(await replayText(text, 'edited', { pki }));
    expect(d.kind).toBe('mismatch');
    expect(d.step).toBe('network-down');
    expect(d.diff).toContain('+ Q IDENTIFY');
  });

  it('a request the agent never sends', async () => {
    const text = edited(fixture('identify-countertop'), (e, f) =>
      f?.type === 'STATUS' && f.kind === 'R'
        ? [e, frameLine({ ...e, dir: 'out' }, { seq: f.seq + 1, kind: 'Q', type: 'KEYS', header: {} })]
        : e,
    );
    const d = failure(await replayText(text, 'edited', { pki }));
    expect(d).toMatchObject({ kind: 'missing', step: 'identify' });
    expect(d.diff).toEqual(['- Q KEYS']);
  });

  it('a request the recording does not have', async () => {
    const text = edited(fixture('identify-countertop'), (e, f) => (f?.type === 'STATUS' ? null : e));
    const d = failure(await replayText(text, 'edited', { pki }));
    expect(d).toMatchObject({ kind: 'unexpected', step: 'identify' });
    expect(d.diff).toContain('+ Q STATUS');
  });

  it('a request the agent keeps back while it waits for answers', async () => {
    let inserted = false;
    const text = edited(fixture('decommission-countertop'), (e, f) => {
      if (inserted || f?.type !== 'READ' || f.kind !== 'R' || e.step !== 'backup:journal') return e;
      inserted = true;
      return [frameLine({ ...e, dir: 'out' }, { seq: 0x7777, kind: 'Q', type: 'PING', header: {} }), e];
    });
    const d = failure(await replayText(text, 'edited', { pki, stallMs: 300 }));
    expect(d).toMatchObject({ kind: 'stalled', step: 'backup:journal' });
    expect(d.diff).toEqual(['- Q PING']);
  });

  it('an exit code the agent does not end with', async () => {
    const text = edited(fixture('wrong-authority-code'), (e) =>
      e.kind === 'expect' ? { ...e, exitCode: 0 } : e,
    );
    const d = failure(await replayText(text, 'edited', { pki }));
    expect(d.kind).toBe('exit-code');
    expect(d.message).toBe('the agent exited 5; the recorded run exited 0');
  });
});

describe.concurrent('what legitimately varies does not fail the replay', () => {
  it('another tool version in HELLO, and other seq numbers throughout', async () => {
    const text = edited(fixture('identify-countertop'), (e, f) => {
      if (!f || typeof e.line !== 'string') return e;
      const header =
        f.type === 'HELLO' && f.kind === 'Q' ? { ...f.header, agent: 'posdecom/0.0.1' } : f.header;
      return frameLine(e, { ...f, seq: f.seq + 0x100, header });
    });
    expect(text).toContain('posdecom/0.0.1');
    const report = await replayText(text, 'edited', { pki });
    expect(report.ok, reportText(report)).toBe(true);
  });
});

describe.concurrent('posdecom replay', () => {
  it('exits 0 and says so, step by step, when the session replays', async () => {
    const out: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => done(void out.push(chunk.toString())) });
    const io = {
      stdout: sink as unknown as NodeJS.WriteStream,
      stderr: sink as unknown as NodeJS.WriteStream,
    };
    const code = await runReplay(
      { file: join(FIXTURES, 'identify-countertop.jsonl'), json: false, verbose: false },
      io,
    );
    expect(code, out.join('')).toBe(0);
    expect(out.join('')).toMatch(/^ {2}ok {4}connect {3}1\/1 requests$/m);
    expect(out.join('')).toMatch(/^ {2}ok {4}identify {2}2\/2 requests$/m);
    expect(out.join('')).toContain('result: the session replays (3 requests matched)');
  });

  it('exits 10 with a JSON report naming the step of the first divergence', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'posdecom-replay-cli-')), 'edited.jsonl');
    writeFileSync(
      copy,
      edited(fixture('wrong-authority-code'), (e, f) =>
        f?.type === 'AUTH_BEGIN' && f.kind === 'Q' ? frameLine(e, { ...f, header: { reason: 'x' } }) : e,
      ),
    );
    const r = await runCli(['replay', '--json', copy]);
    expect(r.code, r.stderr).toBe(10);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      divergence: { step: string; kind: string; diff: string[] };
    };
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({ step: 'authorize', kind: 'mismatch' });
    expect(report.divergence.diff).toEqual(['  Q AUTH_BEGIN', '-   "reason": "x"']);
  });
});

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { replayFile } from '../agent/replay/replay.js';
import { reportText } from '../agent/replay/report.js';
import { createReplayPki, type ReplayPki } from '../agent/replay/run.js';

/**
 * Every transcript in fixtures/ is a test: the agent as it is now, replayed against the
 * terminal's recorded answers, must send exactly the recorded requests and end the same way.
 * A failure prints the replay report, whose first divergence names the step and shows the diff.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();
const stories = (
  JSON.parse(readFileSync(join(FIXTURES, 'stories.json'), 'utf8')) as {
    stories: { name: string; runs: { exitCode: number }[] }[];
  }
).stories;

// A replay mostly waits (the agent polls an erase every 50 ms): run them all at once.
vi.setConfig({ maxConcurrency: 16 });

let pki: ReplayPki;
beforeAll(async () => {
  pki = await createReplayPki(join(mkdtempSync(join(tmpdir(), 'posdecom-fixtures-')), 'pki'));
});

describe.concurrent('recorded fixtures replay against the agent as it is now', () => {
  it.each(files.map((f) => [f.replace(/\.jsonl$/, ''), f]))('%s', async (_story, file) => {
    const report = await replayFile(join(FIXTURES, file), { pki });
    expect(report.ok, reportText(report)).toBe(true);
    expect(report.requests.matched).toBe(report.requests.recorded);
    expect(report.requests.recorded).toBeGreaterThan(0);
    for (const run of report.runs) {
      expect(run.links.opened).toBe(run.links.recorded);
      if (run.expectedExitCode !== null) expect(run.exitCode).toBe(run.expectedExitCode);
    }
  });
});

describe('the fixture set', () => {
  it('holds a transcript of every story fixtures/stories.json describes, ending as the story says', () => {
    for (const story of stories) {
      expect(files).toContain(`${story.name}.jsonl`);
      const expects = readFileSync(join(FIXTURES, `${story.name}.jsonl`), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"kind":"expect"'))
        .map((l) => (JSON.parse(l) as { exitCode: number }).exitCode);
      expect(expects, story.name).toEqual(story.runs.map((r) => r.exitCode));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { reportText } from '../agent/replay/report.js';
import { sessionFromHeader } from '../agent/replay/session-limits.js';
import type { RunReport } from '../agent/replay/replay.js';
import type { TranscriptHeader } from '../agent/transcript/format.js';

/**
 * A transcript is input like any other: replay takes from its header only the request timeout
 * the recording ran with, never the limits that protect the agent from a flooding or hostile
 * terminal, and says so when a header asks for them.
 */
describe("replay and the transcript header's session limits", () => {
  it('keeps the agent defaults when a header asks for looser flood, bad-frame and size limits, and notes it', () => {
    const header = {
      session: {
        requestTimeoutMs: 2000,
        maxConsecutiveBad: 1_000_000,
        eventsPerSecond: 1e9,
        maxLine: 1 << 30,
        window: 4096,
      },
    } as unknown as TranscriptHeader;
    const { session, ignored } = sessionFromHeader(header);
    expect(session).toEqual({ requestTimeoutMs: 2000, helloTimeoutMs: 6000 });
    expect(ignored).toEqual(['maxConsecutiveBad', 'eventsPerSecond', 'maxLine', 'window']);
    const run = {
      run: 1,
      command: 'identify',
      header: {
        ...header,
        options: {},
        recorded: '2026-01-01T00:00:00Z',
        tool: { name: 'posdecom', version: '0' },
        protocol: '1.0',
        port: 'sim:x',
      },
      exitCode: 0,
      expectedExitCode: 0,
      steps: [],
      links: { recorded: 1, opened: 1 },
    } as unknown as RunReport;
    const text = reportText({
      source: 't.jsonl',
      ok: true,
      requests: { recorded: 0, matched: 0 },
      runs: [run],
    });
    expect(text).toMatch(
      /note: the transcript's header sets session limits \(maxConsecutiveBad, eventsPerSecond, maxLine, window\); ignored/,
    );
  });

  it('bounds a recorded timeout as the --timeout flag is bounded', () => {
    const h = (t: unknown) => ({ session: { requestTimeoutMs: t } }) as unknown as TranscriptHeader;
    expect(sessionFromHeader(h(1e12)).session.requestTimeoutMs).toBe(600_000);
    expect(sessionFromHeader(h(1)).session.requestTimeoutMs).toBe(3000);
    expect(sessionFromHeader(h('x')).session).toEqual({});
  });
});

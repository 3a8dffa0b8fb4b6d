import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../agent/command.js';
import { replayFile } from '../agent/replay/replay.js';
import { reportText } from '../agent/replay/report.js';
import { createReplayPki, type ReplayPki } from '../agent/replay/run.js';
import { runBackup } from '../agent/run/backup.js';
import { runIdentify } from '../agent/run/identify.js';
import { TRANSCRIPT_FORMAT, type TranscriptHeader } from '../agent/transcript/format.js';
import { TOOL_VERSION } from '../agent/version.js';
import { decodeFrame } from '../protocol/line/frame.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';

/**
 * `--record` as the commands write it today (not as a fixture froze it): what the header says,
 * that the conversation is complete from HELLO on, that `--resume` appends a run to the same
 * file, and that what was recorded replays.
 */
const port = {
  baud: 115200,
  'data-bits': 8,
  parity: 'none',
  'stop-bits': 1,
  'flow-control': 'none',
  timeout: 3000,
};
const quiet: CommandIo = {
  stdout: new Writable({ write: (_c, _e, done) => done() }) as unknown as NodeJS.WriteStream,
  stderr: new Writable({ write: (_c, _e, done) => done() }) as unknown as NodeJS.WriteStream,
};

let dir: string;
let pki: ReplayPki;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'posdecom-record-'));
  pki = await createReplayPki(join(dir, 'pki'));
});

function entries(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('--record', () => {
  it('opens with a header naming the tool, protocol, port settings and terminal, then HELLO', async () => {
    const file = join(dir, 'identify.jsonl');
    const code = await runIdentify(
      { ...port, port: 'sim:countertop?seed=31', json: true, record: file },
      quiet,
    );
    expect(code).toBe(0);
    const terminal = await SimulatedTerminal.create({ model: 'countertop', seed: 31 });
    const [header, session, hello, ...rest] = entries(file);
    expect(header).toMatchObject({
      kind: 'header',
      format: TRANSCRIPT_FORMAT,
      tool: { name: 'posdecom', version: TOOL_VERSION },
      protocol: '1.1',
      command: 'identify',
      port: 'sim:countertop?seed=31',
      settings: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, flowControl: 'none' },
      session: { requestTimeoutMs: 3000 },
      identity: { ...terminal.identity },
    });
    await terminal.close();
    expect(session).toMatchObject({ kind: 'session', n: 1 });
    expect(hello).toMatchObject({ dir: 'out', step: 'connect', type: 'HELLO' });
    const frames = [hello!, ...rest].filter((e) => e.dir);
    expect(frames.map((e) => `${String(e.dir)} ${String(e.type)}`)).toEqual([
      'out HELLO',
      'in HELLO',
      'out IDENTIFY',
      'in IDENTIFY',
      'out STATUS',
      'in STATUS',
    ]);
    for (const e of frames) expect(decodeFrame(Buffer.from(String(e.line), 'latin1')).ok).toBe(true);
    const report = await replayFile(file, { pki });
    expect(report.ok, reportText(report)).toBe(true);
  });

  it('appends a --resume run to the same file, and the two replay as one story', async () => {
    const file = join(dir, 'backup.jsonl');
    const out = join(dir, 'backup-job');
    const args = {
      ...port,
      port: 'sim:mobile?seed=32',
      out,
      stores: 'saf,config',
      'backup-recipient': pki.recipientCertPath,
      record: file,
      'reconnect-wait': 0,
      json: false,
    };
    expect(await runBackup({ ...args, resume: false }, quiet)).toBe(0);
    expect(await runBackup({ ...args, resume: true }, quiet)).toBe(0);
    const all = entries(file);
    const headers = all.filter((e) => e.kind === 'header') as unknown as TranscriptHeader[];
    expect(headers.map((h) => [h.command, h.options])).toEqual([
      ['backup', { resume: false, reconnectWaitMs: 0, stores: ['saf', 'config'] }],
      ['backup', { resume: true, reconnectWaitMs: 0, stores: ['saf', 'config'] }],
    ]);
    // The first run read the card store, withheld; the resumed one finds its backup verified.
    const masked = all.filter((e) => e.masked === 'card-data;withheld');
    expect(masked.length).toBeGreaterThan(0);
    expect(all.indexOf(masked[0]!)).toBeLessThan(
      all.indexOf(headers[1] as unknown as Record<string, unknown>),
    );
    const report = await replayFile(file, { pki });
    expect(report.ok, reportText(report)).toBe(true);
    expect(report.runs.map((r) => r.exitCode)).toEqual([0, 0]);
  });

  it('records a work order without its authority code or the people in it', () => {
    const fixture = fileURLToPath(new URL('../fixtures/decommission-countertop.jsonl', import.meta.url));
    const header = entries(fixture)[0] as unknown as TranscriptHeader;
    expect(header.workOrders).toHaveLength(1);
    const w = header.workOrders![0]!;
    expect(Object.keys(w).sort()).toEqual(['authority', 'destination', 'id', 'reason', 'terminal']);
    expect(w.authority).toEqual({ reference: expect.stringMatching(/^ACQ-/) });
  });
});

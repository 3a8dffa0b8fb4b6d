import { decodeFrame, type Frame } from '../../protocol/line/frame.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import {
  RECORDED_COMMANDS,
  TRANSCRIPT_FORMAT,
  entryBytes,
  type FrameEntry,
  type TranscriptHeader,
} from '../transcript/format.js';

/**
 * A transcript read back for replay: runs, each a list of sessions (one per link the agent
 * opened), each the frames of that link in the order they crossed it.
 */
export interface ScriptFrame {
  /** 1-based line of the transcript file, for pointing a reader at it. */
  lineNo: number;
  dir: 'out' | 'in';
  step: string;
  bytes: Buffer;
  frame: Frame;
}

export interface ScriptSession {
  n: number;
  lineNo: number;
  frames: ScriptFrame[];
  /** Who ended the link: the terminal ("link": replay hangs up too), the agent, or nobody recorded it. */
  end: 'agent' | 'link' | 'open';
}

export interface ScriptRun {
  index: number;
  lineNo: number;
  header: TranscriptHeader;
  sessions: ScriptSession[];
  expectExitCode?: number;
}

function bad(source: string, lineNo: number, message: string): PosdecomError {
  return new PosdecomError(ErrorCode.UsageBadFile, `${source} line ${lineNo}: ${message}`);
}

function checkHeader(h: Record<string, unknown>, source: string, lineNo: number): TranscriptHeader {
  if (h.format !== TRANSCRIPT_FORMAT) {
    throw bad(source, lineNo, `transcript format ${JSON.stringify(h.format)} is not ${TRANSCRIPT_FORMAT}`);
  }
  if (!(RECORDED_COMMANDS as readonly unknown[]).includes(h.command)) {
    throw bad(source, lineNo, `cannot replay the command ${JSON.stringify(h.command)}`);
  }
  for (const field of ['settings', 'options', 'session'] as const) {
    if (typeof h[field] !== 'object' || h[field] === null)
      throw bad(source, lineNo, `the header has no ${field}`);
  }
  return h as unknown as TranscriptHeader;
}

export function parseTranscript(text: string, source: string): ScriptRun[] {
  const runs: ScriptRun[] = [];
  let run: ScriptRun | undefined;
  let session: ScriptSession | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw bad(source, lineNo, 'not JSON');
    }
    if (typeof entry !== 'object' || entry === null) throw bad(source, lineNo, 'not a JSON object');
    if (entry.kind === 'header') {
      run = { index: runs.length + 1, lineNo, header: checkHeader(entry, source, lineNo), sessions: [] };
      runs.push(run);
      session = undefined;
      continue;
    }
    if (!run) throw bad(source, lineNo, 'the transcript does not start with a header line');
    if (entry.kind === 'session') {
      session = { n: run.sessions.length + 1, lineNo, frames: [], end: 'open' };
      run.sessions.push(session);
    } else if (entry.kind === 'session-end') {
      if (session) session.end = entry.by === 'link' ? 'link' : 'agent';
    } else if (entry.kind === 'expect') {
      if (!Number.isInteger(entry.exitCode)) throw bad(source, lineNo, 'expect needs an integer exitCode');
      run.expectExitCode = entry.exitCode as number;
    } else if (entry.dir === 'out' || entry.dir === 'in') {
      if (!session) throw bad(source, lineNo, 'a frame before any session line');
      const bytes = entryBytes(entry as unknown as FrameEntry);
      const decoded = bytes ? decodeFrame(bytes) : undefined;
      if (!bytes || !decoded?.ok) {
        throw bad(
          source,
          lineNo,
          `not a valid frame (${decoded && !decoded.ok ? decoded.reason : 'no line'})`,
        );
      }
      session.frames.push({
        lineNo,
        dir: entry.dir,
        step: typeof entry.step === 'string' ? entry.step : '?',
        bytes,
        frame: decoded.frame,
      });
    }
    // Other kinds (notes a later version may add) do not change the conversation.
  }
  if (runs.length === 0) throw new PosdecomError(ErrorCode.UsageBadFile, `${source} holds no transcript`);
  return runs;
}

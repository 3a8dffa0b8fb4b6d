import { decodeFrame, type Frame } from '../../protocol/line/frame.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { entryBytes, type FrameEntry, type TranscriptHeader } from '../transcript/format.js';
import { bad, checkHeader, transcriptEntries } from './transcript-lines.js';

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

export function parseTranscript(text: string, source: string): ScriptRun[] {
  const runs: ScriptRun[] = [];
  let run: ScriptRun | undefined;
  let session: ScriptSession | undefined;
  for (const { lineNo, entry } of transcriptEntries(text, source)) {
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

import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { type TranscriptHeader } from '../transcript/format.js';
import { bad, checkHeader, transcriptEntries } from './transcript-lines.js';
import { zvtEntryBytes } from '../transcript/zvt-entries.js';

/**
 * A ZVT transcript read back for replay (transcript/zvt-entries.ts writes it): runs, each a
 * list of sessions (one per link the agent opened), each the APDUs of that link in the order they
 * crossed it. ZVT strictly alternates, so the order is the whole conversation.
 */
export interface ZvtScriptApdu {
  lineNo: number;
  dir: 'out' | 'in';
  step: string;
  bytes: Buffer;
}

export interface ZvtScriptSession {
  n: number;
  lineNo: number;
  apdus: ZvtScriptApdu[];
  /** "link": the terminal hung up after the last APDU (a pulled cable); replay hangs up too. */
  end: 'link' | 'open';
}

export interface ZvtScriptRun {
  index: number;
  lineNo: number;
  header: TranscriptHeader;
  sessions: ZvtScriptSession[];
  expectExitCode?: number;
}

export function isZvtTranscript(text: string): boolean {
  const first = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n'));
  try {
    const h = JSON.parse(first) as { kind?: unknown; protocol?: unknown };
    return h.kind === 'header' && typeof h.protocol === 'string' && h.protocol.startsWith('zvt');
  } catch {
    return false;
  }
}

function zvtHeader(h: Record<string, unknown>, source: string, lineNo: number): TranscriptHeader {
  const header = checkHeader(h, source, lineNo);
  if (typeof h.protocol !== 'string' || !h.protocol.startsWith('zvt'))
    throw bad(source, lineNo, 'a ZVT transcript holds only ZVT runs');
  return header;
}

export function parseZvtTranscript(text: string, source: string): ZvtScriptRun[] {
  const runs: ZvtScriptRun[] = [];
  let run: ZvtScriptRun | undefined;
  let session: ZvtScriptSession | undefined;
  for (const { lineNo, entry } of transcriptEntries(text, source)) {
    if (entry.kind === 'header') {
      run = { index: runs.length + 1, lineNo, header: zvtHeader(entry, source, lineNo), sessions: [] };
      runs.push(run);
      session = undefined;
    } else if (!run) {
      throw bad(source, lineNo, 'the transcript does not start with a header line');
    } else if (entry.kind === 'session') {
      session = { n: run.sessions.length + 1, lineNo, apdus: [], end: 'open' };
      run.sessions.push(session);
    } else if (entry.kind === 'session-end') {
      if (session && entry.by === 'link') session.end = 'link';
    } else if (entry.kind === 'expect') {
      if (!Number.isInteger(entry.exitCode)) throw bad(source, lineNo, 'expect needs an integer exitCode');
      run.expectExitCode = entry.exitCode as number;
    } else if (entry.dir === 'out' || entry.dir === 'in') {
      if (!session) throw bad(source, lineNo, 'an APDU before any session line');
      const bytes = zvtEntryBytes(entry);
      if (!bytes) throw bad(source, lineNo, 'not an APDU in hex');
      const step = typeof entry.step === 'string' ? entry.step : '?';
      session.apdus.push({ lineNo, dir: entry.dir, step, bytes });
    }
  }
  if (runs.length === 0) throw new PosdecomError(ErrorCode.UsageBadFile, `${source} holds no transcript`);
  return runs;
}

import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { RECORDED_COMMANDS, TRANSCRIPT_FORMAT, type TranscriptHeader } from '../transcript/format.js';

/** What the line and ZVT transcript parsers share: a bad line names its file and line number. */
export function bad(source: string, lineNo: number, message: string): PosdecomError {
  return new PosdecomError(ErrorCode.UsageBadFile, `${source} line ${lineNo}: ${message}`);
}

/** The header checks every protocol's transcript needs; a protocol adds its own after these. */
export function checkHeader(h: Record<string, unknown>, source: string, lineNo: number): TranscriptHeader {
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

/** Each non-blank line of a JSONL transcript as an object, with its 1-based line number. */
export function* transcriptEntries(
  text: string,
  source: string,
): Generator<{ lineNo: number; entry: Record<string, unknown> }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch {
      throw bad(source, lineNo, 'not JSON');
    }
    if (typeof entry !== 'object' || entry === null) throw bad(source, lineNo, 'not a JSON object');
    yield { lineNo, entry: entry as Record<string, unknown> };
  }
}

import { readFileSync } from 'node:fs';
import { decodeFrame } from '../../protocol/line/frame.js';

/**
 * Reads a `--record` transcript back as the agent saw it: which READ replies arrived, on which
 * connection (a `session` line starts each one) and during which step. This is the agent-side
 * byte counter the fault matrix uses to show a backup continued where it was cut off.
 */
export interface ReadReply {
  /** 1 for the first link of the run, 2 after the first reconnect, ... */
  connection: number;
  step: string;
  store: string;
  offset: number;
  length: number;
}

interface Line {
  kind?: string;
  dir?: string;
  step?: string;
  type?: string;
  line?: string;
  b64?: string;
}

export function readReplies(path: string): ReadReply[] {
  const out: ReadReply[] = [];
  let connection = 0;
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text === '') continue;
    const entry = JSON.parse(text) as Line;
    if (entry.kind === 'session') connection++;
    if (entry.dir !== 'in' || entry.type !== 'READ') continue;
    const raw =
      entry.line !== undefined ? Buffer.from(entry.line, 'latin1') : Buffer.from(entry.b64 ?? '', 'base64');
    const decoded = decodeFrame(raw);
    if (!decoded.ok || decoded.frame.kind !== 'R' || decoded.frame.header.ok !== true) continue;
    const h = decoded.frame.header;
    out.push({
      connection,
      step: entry.step ?? '',
      store: String(h.store),
      offset: Number(h.offset),
      length: Number(h.length),
    });
  }
  return out;
}

import type { Frame } from '../../protocol/line/frame.js';

/**
 * What may legitimately differ between the recorded request and the replayed one, and nothing
 * else:
 *   seq              the agent numbers requests per session; replay answers with the live seq
 *   HELLO agent      "posdecom/0.1.0" -> "posdecom/*": a newer tool replays an older recording
 *   AUTH mac         masked when recorded, and keyed by an authority code replay does not have
 *   op ids           "<job id prefix>:erase:saf" -> "*:erase:saf": the job id is random per job
 *   timestamps       any ISO-8601 date-time string -> "<time>"
 * The AUTH nonce is compared: replay serves the recorded one, and the agent must echo it.
 * Key order is not compared (JSON objects are unordered), so headers are shown with sorted keys.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function normaliseValue(key: string, value: unknown, type: string): unknown {
  if (typeof value === 'string') {
    if (type === 'HELLO' && key === 'agent') return value.replace(/\/.*$/, '/*');
    if (type === 'AUTH' && key === 'mac') return '<mac>';
    if (key === 'op' && value.includes(':')) return `*${value.slice(value.indexOf(':'))}`;
    if (ISO_TIME.test(value)) return '<time>';
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => normaliseValue('', v, type));
  if (value !== null && typeof value === 'object')
    return sortedObject(value as Record<string, unknown>, type);
  return value;
}

function sortedObject(o: Record<string, unknown>, type: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o).sort()) out[key] = normaliseValue(key, o[key], type);
  return out;
}

/**
 * The request as lines, for comparing and for a diff a person reads: kind and type, then one
 * header field a line (`  "store": "saf"`, values as compact JSON), then any DATA in base64.
 */
export function normalisedLines(frame: Frame): string[] {
  const header = sortedObject(frame.header, frame.type);
  const lines = [`${frame.kind} ${frame.type}`];
  for (const [key, value] of Object.entries(header))
    lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  if (frame.data) lines.push(`  DATA ${frame.data.toString('base64')}`);
  return lines;
}

export function sameRequest(recorded: Frame, live: Frame): boolean {
  return normalisedLines(recorded).join('\n') === normalisedLines(live).join('\n');
}

/**
 * A line diff (longest common subsequence; requests are a few lines long): "  " both,
 * "- " only in the recording, "+ " only in what the agent sent.
 */
export function lineDiff(recorded: string[], live: string[]): string[] {
  const n = recorded.length;
  const m = live.length;
  const common: number[][] = Array.from({ length: n + 1 }, () => Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] =
        recorded[i] === live[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && recorded[i] === live[j]) {
      out.push(`  ${recorded[i++]}`);
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      out.push(`- ${recorded[i++]}`);
    } else {
      out.push(`+ ${live[j++]}`);
    }
  }
  return out;
}

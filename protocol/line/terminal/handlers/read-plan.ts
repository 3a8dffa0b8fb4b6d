import { encodeFrame } from '../../frame.js';
import { compress, encodePayload, type Compression, type PayloadEncoding } from '../../payload.js';

/**
 * Sizing a READ response (SPEC.md s.6.10): as many raw bytes as fit one line of `maxLine`
 * (LF included) after optional deflate and the session's encoding. Compressed and escaped
 * sizes are only known after the fact, so the plan measures, then shrinks in proportion and
 * tries again; a few rounds converge. The last resort, worst-case sizing, always fits.
 */
export interface ReadPlanInput {
  seq: number;
  store: string;
  offset: number;
  /** Raw bytes wanted, already clipped to the store's end. */
  want: number;
  maxLine: number;
  enc: PayloadEncoding;
  deflate: boolean;
  read: (offset: number, length: number) => Buffer;
  /** Raw bytes per line byte that fitted last time for this store; a good first guess. */
  hint?: number;
}

export interface ReadPlan {
  header: Record<string, unknown>;
  data: Buffer;
  length: number;
  /** Raw bytes carried per byte of line budget: the next read's hint. */
  ratio: number;
}

const ROUNDS = 6;
/** Shrink a little more than proportionally, so the next round usually fits. */
const MARGIN = 0.97;

function build(
  input: ReadPlanInput,
  length: number,
  z: Compression,
  payload: Buffer,
): { plan: ReadPlan; size: number } {
  const header = { ok: true, store: input.store, offset: input.offset, length, z };
  const data = encodePayload(payload, input.enc);
  const size = encodeFrame({ seq: input.seq, kind: 'R', type: 'READ', header, data }).length;
  return { plan: { header, data, length, ratio: 1 }, size };
}

/** One attempt at `length` raw bytes: deflated when negotiated and smaller. */
function attempt(input: ReadPlanInput, length: number): { plan: ReadPlan; size: number } {
  const raw = input.read(input.offset, length);
  if (input.deflate && length > 0) {
    const packed = compress(raw);
    if (packed.length < raw.length) return build(input, length, 'deflate', packed);
  }
  return build(input, length, 'none', raw);
}

export function planRead(input: ReadPlanInput): ReadPlan {
  const empty = build(input, 0, 'none', Buffer.alloc(0));
  if (input.want === 0) return empty.plan;
  const budget = input.maxLine - empty.size;
  // Start from what fitted last time, else optimistic: text deflates well, 8bit is nearly 1:1.
  const guess = input.hint ?? (input.deflate ? 8 : input.enc === 'b64' ? 0.75 : 1);
  let length = Math.max(1, Math.min(input.want, Math.floor(budget * guess)));
  let best: ReadPlan | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const tried = attempt(input, length);
    const used = Math.max(1, tried.size - empty.size);
    const resize = Math.floor(length * ((budget * MARGIN) / used));
    if (tried.size <= input.maxLine) {
      best = { ...tried.plan, ratio: length / budget };
      // Good enough: everything wanted, or most of the line used (zeros deflate ~1000x, so
      // a guess can leave a line nearly empty; then grow).
      if (length === input.want || used >= budget * 0.8) return best;
      length = Math.min(input.want, Math.max(length + 1, resize));
    } else {
      // Grown too far: the last fitting plan is good enough.
      if (best) return best;
      length = Math.max(1, Math.min(length - 1, resize));
    }
  }
  if (best) return best;
  // Worst case: every byte escaped (8bit) or 4/3 (b64), deflate not used; the margins cover
  // the header's longer length field.
  const worst = Math.max(
    1,
    Math.min(input.want, input.enc === 'b64' ? Math.floor(budget / 4) * 3 - 6 : Math.floor(budget / 2) - 8),
  );
  return { ...build(input, worst, 'none', input.read(input.offset, worst)).plan, ratio: worst / budget };
}

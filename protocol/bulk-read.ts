import { ErrorCode, PosdecomError } from './errors.js';
import { decodePayload, decompress } from './payload.js';
import type { Session } from './session.js';

/**
 * Windowed, resumable read of one store (SPEC.md s.6.10):
 *
 *   ranges queue -> up to `window` READs in flight -> replies (maybe short) -> reorder -> sink
 *
 * Short reads put the remainder back at the head of the queue. Chunks reach the sink strictly
 * in order, so the sink's digest and file stay consistent; memory is bounded by window x chunk.
 */
export interface BulkReadOptions {
  store: string;
  from: number;
  size: number;
  /** Called in offset order; the read waits for it (backpressure from disk). */
  sink: (offset: number, bytes: Buffer) => Promise<void>;
  /** Stop early when it returns true (the resume point is then what the sink received). */
  shouldStop?: () => boolean;
}

/** Frame overhead budget: seq, kind, type, JSON header, HT, CRC and LF. */
const HEADER_BUDGET = 200;
const MIN_CHUNK = 256;
const MAX_CHUNK = 1_048_576;

export function chunkSizeFor(maxLine: number, enc: 'b64' | '8bit'): number {
  const room = maxLine - HEADER_BUDGET;
  // 8bit escapes ~1.6% of random bytes; 3% keeps nearly every reply whole.
  const raw = enc === 'b64' ? Math.floor(room / 4) * 3 : Math.floor(room / 1.03);
  return Math.max(MIN_CHUNK, raw);
}

export async function bulkRead(session: Session, opts: BulkReadOptions): Promise<number> {
  const n = session.negotiated;
  if (!n) throw new PosdecomError(ErrorCode.SessionClosed, 'READ before HELLO');
  const baseChunk = chunkSizeFor(n.maxLine, n.enc);
  // With compression the raw span per request grows with the ratio we observe.
  let ratio = 1;
  let chunkLimit = baseChunk;
  const queue: [number, number][] = [];
  let nextOffset = opts.from;
  const end = opts.size;
  const ready = new Map<number, Buffer>();
  let delivered = opts.from;
  let inFlight = 0;
  let failure: unknown;
  let sinkBusy: Promise<void> = Promise.resolve();

  const nextRange = (): [number, number] | undefined => {
    const head = queue.shift();
    if (head) return head;
    if (nextOffset >= end) return undefined;
    const want = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.floor(chunkLimit * ratio)));
    const range: [number, number] = [nextOffset, Math.min(want, end - nextOffset)];
    nextOffset += range[1];
    return range;
  };

  const drain = async (): Promise<void> => {
    for (let chunk = ready.get(delivered); chunk; chunk = ready.get(delivered)) {
      ready.delete(delivered);
      const at = delivered;
      delivered += chunk.length;
      await opts.sink(at, chunk);
    }
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!failure && inFlight < n.window && !(opts.shouldStop?.() ?? false)) {
        const range = nextRange();
        if (!range) break;
        inFlight++;
        readOne(range)
          .then(() => {
            inFlight--;
            pump();
          })
          .catch((err: unknown) => {
            inFlight--;
            failure ??= err;
            pump();
          });
      }
      if (inFlight === 0) resolve();
    };

    const readOne = async ([offset, length]: [number, number]): Promise<void> => {
      const reply = await session.request(
        'READ',
        { store: opts.store, offset, length },
        { expectReplyBytes: n.maxLine },
      );
      if (reply.store !== opts.store || reply.offset !== offset || reply.length > length) {
        throw new PosdecomError(
          ErrorCode.SessionHostile,
          `READ reply for ${offset}+${length} of ${opts.store} names ${reply.offset}+${reply.length} of another range`,
        );
      }
      if (reply.length === 0) {
        throw new PosdecomError(
          ErrorCode.SessionHostile,
          `the terminal returned no bytes at offset ${offset} of ${opts.store}, inside the size it reported`,
        );
      }
      const text = reply.data ?? Buffer.alloc(0);
      const decoded = decodePayload(text, n.enc);
      const bytes = decoded && reply.z === 'deflate' ? decompress(decoded, reply.length) : decoded;
      if (!bytes || bytes.length !== reply.length) {
        throw new PosdecomError(
          ErrorCode.SessionMalformed,
          `READ reply at offset ${offset} of ${opts.store} does not decode to the ${reply.length} bytes it declares`,
        );
      }
      if (reply.z === 'deflate' && text.length > 0) {
        ratio = Math.min(16, Math.max(1, 0.8 * (reply.length / text.length) + 0.2 * ratio));
      } else ratio = 1;
      if (reply.length < length) {
        queue.unshift([offset + reply.length, length - reply.length]);
        // Persistent short reads mean our estimate is too optimistic for this data.
        chunkLimit = Math.max(MIN_CHUNK, Math.min(baseChunk, Math.floor(reply.length / ratio)));
      }
      ready.set(offset, bytes);
      sinkBusy = sinkBusy.then(drain);
      await sinkBusy;
    };

    pump();
  });
  await sinkBusy.catch((err: unknown) => {
    failure ??= err;
  });
  if (failure) throw failure;
  return delivered;
}

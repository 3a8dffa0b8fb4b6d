import { ErrorCode, isPosdecomError, PosdecomError } from '../../errors.js';
import { decodePayload, decompress } from '../payload.js';
import type { Reply, Session } from '../session/session.js';

/**
 * Windowed, resumable read of one store (SPEC.md s.6.10):
 *
 *   ranges queue -> up to `window` READs in flight -> replies (maybe short) -> reorder -> sink
 *
 * Short reads put the remainder back at the head of the queue. Chunks reach the sink strictly
 * in order, so the sink's digest and file stay consistent; memory is bounded by window x chunk.
 *
 * On a noisy line a long reply is nearly always spoiled (at a bit error rate of 1e-4, a 4 KiB
 * frame arrives intact 4% of the time), so the READ length adapts per session: halved whenever
 * corrupt frames arrived since the last reply, grown by a quarter after each clean one. A READ
 * whose answers kept arriving corrupt is asked again, shorter, instead of failing the read.
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
/** The shortest READ on a noisy line: with its header, a frame of about 150 bytes. */
const NOISY_MIN_CHUNK = 64;
/** READs in a row spoiled by noise, each asked again shorter, before the read gives up. */
const MAX_SPOILED = 16;

/** What a session has learnt about its line: how much a READ reply may carry (before deflate). */
interface Pace {
  chunk: number;
  noise: number;
}
const paces = new WeakMap<Session, Pace>();

function isSpoiled(err: unknown): boolean {
  return isPosdecomError(err) && err.code === ErrorCode.SessionTerminalSilent && err.context.noisy === true;
}

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
  const pace = paces.get(session) ?? { chunk: baseChunk, noise: session.corruptFrames };
  paces.set(session, pace);
  const adapt = (answered: boolean) => {
    const noise = session.corruptFrames;
    if (noise > pace.noise) pace.chunk = Math.max(NOISY_MIN_CHUNK, Math.floor(pace.chunk / 2));
    else if (answered) pace.chunk = Math.min(baseChunk, Math.ceil(pace.chunk * 1.25));
    pace.noise = noise;
  };
  let spoiled = 0;
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
    const want = Math.min(
      MAX_CHUNK,
      Math.max(NOISY_MIN_CHUNK, Math.floor(Math.min(chunkLimit, pace.chunk) * ratio)),
    );
    const head = queue.shift();
    if (head) {
      if (head[1] <= want) return head;
      queue.unshift([head[0] + want, head[1] - want]);
      return [head[0], want];
    }
    if (nextOffset >= end) return undefined;
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
      // At most `length` raw bytes come back (deflated only when smaller), every one escaped at worst.
      const encoded = n.enc === 'b64' ? Math.ceil(length / 3) * 4 : length * 2;
      let reply: Reply<'READ'>;
      try {
        reply = await session.request(
          'READ',
          { store: opts.store, offset, length },
          { expectReplyBytes: Math.min(n.maxLine, encoded + HEADER_BUDGET), noisyRetries: 1 },
        );
      } catch (err) {
        adapt(false);
        if (!isSpoiled(err) || session.closed || ++spoiled > MAX_SPOILED) throw err;
        queue.push([offset, length]);
        queue.sort((a, b) => a[0] - b[0]);
        return;
      }
      spoiled = 0;
      adapt(true);
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

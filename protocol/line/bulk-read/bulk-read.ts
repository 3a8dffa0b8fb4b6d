import { ErrorCode, isPosdecomError, PosdecomError } from '../../errors.js';
import type { Reply, Session } from '../session/session.js';
import { InOrderSink } from './in-order-sink.js';
import { ReadRanges, type Range } from './ranges.js';
import { chunkSizeFor, HEADER_BUDGET, ReadLength } from './read-length.js';
import { replyBytes } from './reply-bytes.js';

/**
 * Windowed, resumable read of one store (SPEC.md s.6.10):
 *
 *   ranges queue -> up to `window` READs in flight -> replies (maybe short) -> reorder -> sink
 *
 * Short reads put the remainder back at the head of the queue. Chunks reach the sink strictly
 * in order, so the sink's digest and file stay consistent; memory is bounded by window x chunk.
 *
 * The READ length adapts to the line (read-length.ts). A READ whose answers kept arriving
 * corrupt is asked again, shorter, instead of failing the read.
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

/** READs in a row spoiled by noise, each asked again shorter, before the read gives up. */
const MAX_SPOILED = 16;

function isSpoiled(err: unknown): boolean {
  return isPosdecomError(err) && err.code === ErrorCode.SessionTerminalSilent && err.context.noisy === true;
}

export async function bulkRead(session: Session, opts: BulkReadOptions): Promise<number> {
  const n = session.negotiated;
  if (!n) throw new PosdecomError(ErrorCode.SessionClosed, 'READ before HELLO');
  const readLength = new ReadLength(session, chunkSizeFor(n.maxLine, n.enc));
  const ranges = new ReadRanges(opts.from, opts.size);
  const sink = new InOrderSink(opts.from, opts.sink);
  let spoiled = 0;
  let inFlight = 0;
  let failure: unknown;

  const readOne = async (range: Range): Promise<void> => {
    const [offset, length] = range;
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
      readLength.adapt(false);
      if (!isSpoiled(err) || session.closed || ++spoiled > MAX_SPOILED) throw err;
      ranges.putBack(range);
      return;
    }
    spoiled = 0;
    readLength.adapt(true);
    const bytes = replyBytes(reply, opts.store, range, n.enc);
    readLength.observe(reply, length);
    if (reply.length < length) ranges.putFirst([offset + reply.length, length - reply.length]);
    await sink.deliver(offset, bytes);
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!failure && inFlight < n.window && !(opts.shouldStop?.() ?? false)) {
        const range = ranges.next(readLength.next());
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
    pump();
  });
  // Even when a READ failed, the chunks already on their way to the sink are let finish.
  const sinkFailure = await sink.settled();
  failure ??= sinkFailure;
  if (failure) throw failure;
  return sink.delivered;
}

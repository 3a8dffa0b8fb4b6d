import type { PayloadEncoding } from '../payload.js';
import type { Reply, Session } from '../session/session.js';

/** Frame overhead budget: seq, kind, type, JSON header, HT, CRC and LF. */
export const HEADER_BUDGET = 200;
const MIN_CHUNK = 256;
const MAX_CHUNK = 1_048_576;
/** The shortest READ on a noisy line: with its header, a frame of about 150 bytes. */
const NOISY_MIN_CHUNK = 64;

export function chunkSizeFor(maxLine: number, enc: PayloadEncoding): number {
  const room = maxLine - HEADER_BUDGET;
  // 8bit escapes ~1.6% of random bytes; 3% keeps nearly every reply whole.
  const raw = enc === 'b64' ? Math.floor(room / 4) * 3 : Math.floor(room / 1.03);
  return Math.max(MIN_CHUNK, raw);
}

/** What a session has learnt about its line: how much a READ reply may carry (before deflate). */
interface Pace {
  chunk: number;
  noise: number;
}
const paces = new WeakMap<Session, Pace>();

/**
 * How many raw bytes the next READ asks for.
 *
 * On a noisy line a long reply is nearly always spoiled (at a bit error rate of 1e-4, a 4 KiB
 * frame arrives intact 4% of the time), so the READ length adapts per session: halved whenever
 * corrupt frames arrived since the last reply, grown by a quarter after each clean one.
 */
export class ReadLength {
  private readonly pace: Pace;
  // With compression the raw span per request grows with the ratio we observe.
  private ratio = 1;
  private chunkLimit: number;

  constructor(
    private readonly session: Session,
    private readonly baseChunk: number,
  ) {
    this.pace = paces.get(session) ?? { chunk: baseChunk, noise: session.corruptFrames };
    paces.set(session, this.pace);
    this.chunkLimit = baseChunk;
  }

  next(): number {
    return Math.min(
      MAX_CHUNK,
      Math.max(NOISY_MIN_CHUNK, Math.floor(Math.min(this.chunkLimit, this.pace.chunk) * this.ratio)),
    );
  }

  /** After each READ, answered or not: shorter if the line spoiled frames meanwhile, else longer. */
  adapt(answered: boolean): void {
    const noise = this.session.corruptFrames;
    if (noise > this.pace.noise) this.pace.chunk = Math.max(NOISY_MIN_CHUNK, Math.floor(this.pace.chunk / 2));
    else if (answered) this.pace.chunk = Math.min(this.baseChunk, Math.ceil(this.pace.chunk * 1.25));
    this.pace.noise = noise;
  }

  /** Learns from a reply to a READ of `length` bytes: the compression ratio, and any short read. */
  observe(reply: Reply<'READ'>, length: number): void {
    const sent = reply.data?.length ?? 0;
    if (reply.z === 'deflate' && sent > 0) {
      this.ratio = Math.min(16, Math.max(1, 0.8 * (reply.length / sent) + 0.2 * this.ratio));
    } else this.ratio = 1;
    if (reply.length < length) {
      // Persistent short reads mean our estimate is too optimistic for this data.
      this.chunkLimit = Math.max(MIN_CHUNK, Math.min(this.baseChunk, Math.floor(reply.length / this.ratio)));
    }
  }
}

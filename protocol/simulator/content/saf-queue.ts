import { encryptedBlob, randomCard, type Card } from './cards.js';
import type { ContentContext } from './block.js';
import { Prng } from '../prng.js';

/**
 * The store-and-forward queue a terminal starts with: payments it took while the host could
 * not be reached, waiting to be forwarded. They are the first records of the saf store's first
 * block (the rest of the store is history: payments forwarded long ago), and the device reports
 * their count and amount in STATUS. Drawn from their own PRNG so the device can know its queue
 * without generating the store's bytes.
 */
export interface QueuedPayment {
  seq: number;
  /** Epoch ms the payment was taken. */
  at: number;
  minor: number;
  currency: string;
  card: Card;
  /** The card data as the terminal's SAF key encrypted it (compliant terminals keep only this). */
  blob: Buffer;
  stan: number;
  reason: string;
}

const MINUTE = 60_000;

export function safQueue(ctx: ContentContext): QueuedPayment[] {
  const rng = Prng.from(ctx.seed, `saf-queue|${ctx.store}`);
  const count = rng.int(2, 6);
  let at = ctx.epoch + 88 * 86_400_000;
  const queue: QueuedPayment[] = [];
  for (let i = 0; i < count; i++) {
    at += rng.int(1, 40) * MINUTE;
    queue.push({
      seq: 900_001 + i,
      at,
      minor: rng.int(250, 12_000),
      currency: ctx.currency,
      card: randomCard(rng),
      blob: encryptedBlob(rng),
      stan: rng.int(1, 999_999),
      reason: rng.pick(['HOST_TIMEOUT', 'NO_LINK']),
    });
  }
  return queue;
}

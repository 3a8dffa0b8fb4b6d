import { BLOCK_SIZE, pad, recordBlock, type Block, type ContentContext } from './block.js';
import { maskPan, randomCard, tag57, tlvPan, tlvTrack2, track1, track2 } from './cards.js';
import { safQueue, type QueuedPayment } from './saf-queue.js';
import { Prng } from '../prng.js';
import type { Card } from './cards.js';

/**
 * Generators for the stores that hold cardholder data: the offline store-and-forward queue
 * (saf) and the open batch. Records are binary-framed like a terminal's flash log,
 *
 *   0xA5  type  len(2, big endian)  field 0x1C field 0x1C ...  0x1E
 *
 * A compliant terminal's records carry the PAN truncated (first 6, last 4) and, for a payment
 * still queued, the card data as an encrypted blob. A noncompliant one (`ctx.noncompliant`)
 * keeps per record the clear PAN in ASCII, track 1 or track 2 in ASCII, and the EMV tags 5A
 * (PAN) and 57 (track 2 equivalent) in packed BCD: one of each, which is what the agent's PCI
 * scanner must count. The framing bytes (NUL in lengths) exercise the 8bit payload escapes.
 */

const FS = Buffer.of(0x1c);
const RS = 0x1e;
const MINUTE = 60_000;
/** Record types: a queued SAF payment, a forwarded one, a batch transaction. */
const QUEUED = 0x51;
const FORWARDED = 0x46;
const BATCH = 0x42;

function record(type: number, fields: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(FS);
    parts.push(typeof f === 'string' ? Buffer.from(f, 'latin1') : f);
  });
  const body = Buffer.concat(parts);
  const out = Buffer.alloc(body.length + 5);
  out[0] = 0xa5;
  out[1] = type;
  out.writeUInt16BE(body.length, 2);
  body.copy(out, 4);
  out[out.length - 1] = RS;
  return out;
}

/** Clear card data as a noncompliant terminal keeps it: one PAN, one track, tags 5A and 57. */
function clearCardFields(card: Card, rng: Prng): (string | Buffer)[] {
  const track = rng.chance(0.5) ? `T1=${track1(card, rng)}` : `T2=${track2(card, rng)}`;
  return [card.pan, card.expiry, track, Buffer.concat([tlvPan(card), tlvTrack2(card, rng)])];
}

/** What a compliant terminal keeps of a settled or forwarded payment: the truncated PAN. */
function truncatedCardFields(rng: Prng): string[] {
  const card = randomCard(rng);
  const chip = rng.chance(0.6);
  // The chip data the terminal read is drawn (and dropped) so the stream stays card-shaped.
  if (chip) tag57(card, rng);
  return [maskPan(card.pan), chip ? rng.pick(['051', '071']) : '901'];
}

/** A queued payment's record: a pure function of the payment, so its length is known in advance. */
function queuedRecord(ctx: ContentContext, p: QueuedPayment, forwarded: boolean): Buffer {
  const head = [`SAF${pad(p.seq, 6)}`, new Date(p.at).toISOString(), 'SALE', String(p.minor), p.currency];
  const tail = [`STAN${pad(p.stan, 6)}`, p.reason];
  if (ctx.noncompliant) {
    const rng = Prng.from(ctx.seed, `saf-queue|${ctx.store}|${p.seq}`);
    return record(forwarded ? FORWARDED : QUEUED, [...head, ...clearCardFields(p.card, rng), ...tail]);
  }
  if (forwarded) return record(FORWARDED, [...head, maskPan(p.card.pan), ...tail, 'FWD']);
  return record(QUEUED, [...head, Buffer.concat([Buffer.from('ENC', 'latin1'), p.blob]), ...tail]);
}

/** The queued payments whose records fit in a saf store of `size` bytes (first block, in order). */
export function safQueueHeld(ctx: ContentContext, size: number): QueuedPayment[] {
  const limit = Math.min(size, BLOCK_SIZE);
  const held: QueuedPayment[] = [];
  let end = 0;
  for (const p of safQueue(ctx)) {
    end += queuedRecord(ctx, p, false).length;
    if (end > limit) break;
    held.push(p);
  }
  return held;
}

export function safBlock(rng: Prng, ctx: ContentContext, index: number, forwarded: boolean): Block {
  let t = ctx.epoch + index * 180 * MINUTE;
  let seq = index * 16;
  // Block 0 starts with the queue: queued records, or marked forwarded once FORWARD has run.
  const queue = index === 0 ? safQueue(ctx) : [];
  let q = 0;
  return recordBlock(() => {
    const queued = queue[q++];
    if (queued) return queuedRecord(ctx, queued, forwarded);
    t += rng.int(30, 3_600) * 1000;
    seq++;
    const head = [
      `SAF${pad(seq, 6)}`,
      new Date(t).toISOString(),
      rng.pick(['SALE', 'SALE', 'SALE', 'REFUND']),
      String(rng.int(100, 15_000)),
      ctx.currency,
    ];
    const card = ctx.noncompliant ? clearCardFields(randomCard(rng), rng) : truncatedCardFields(rng);
    const tail = [
      `STAN${pad((seq * 7) % 1_000_000, 6)}`,
      rng.pick(['HOST_TIMEOUT', 'NO_LINK', 'BELOW_FLOOR']),
      `RETRY${rng.int(0, 5)}`,
    ];
    return record(FORWARDED, [...head, ...card, ...tail, 'FWD']);
  });
}

export function batchBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  let t = ctx.epoch + index * 90 * MINUTE;
  let stan = (index * 24) % 1_000_000;
  return recordBlock(() => {
    t += rng.int(20, 900) * 1000;
    stan = (stan + 1) % 1_000_000;
    return record(BATCH, [
      `TID${ctx.tid}`,
      `STAN${pad(stan, 6)}`,
      new Date(t).toISOString(),
      rng.pick(['SALE', 'SALE', 'SALE', 'SALE', 'REFUND', 'VOID']),
      String(rng.int(100, 25_000)),
      ctx.currency,
      ...(ctx.noncompliant ? clearCardFields(randomCard(rng), rng) : truncatedCardFields(rng)),
      `AUTH${rng.hex(6)}`,
      `RC00`,
    ]);
  });
}

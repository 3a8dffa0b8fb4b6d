import { pad, recordBlock, type Block, type ContentContext } from './block.js';
import { randomCard, tag57, track2 } from './cards.js';
import type { Prng } from '../prng.js';

/**
 * Generators for the stores that hold full cardholder data: the offline store-and-forward
 * queue (saf) and the open batch. Records are binary-framed like a terminal's flash log,
 *
 *   0xA5  type  len(2, big endian)  field 0x1C field 0x1C ...  0x1E
 *
 * with ASCII fields, so full PANs and track-2 data appear as digit runs a leak scanner finds,
 * and the framing bytes (including NUL in lengths) exercise the 8bit payload escapes.
 */

const FS = 0x1c;
const RS = 0x1e;
const MINUTE = 60_000;

function record(type: number, fields: string[]): Buffer {
  const body = Buffer.from(fields.join(String.fromCharCode(FS)), 'latin1');
  const out = Buffer.alloc(body.length + 5);
  out[0] = 0xa5;
  out[1] = type;
  out.writeUInt16BE(body.length, 2);
  body.copy(out, 4);
  out[out.length - 1] = RS;
  return out;
}

function cardFields(rng: Prng): string[] {
  const card = randomCard(rng);
  const chip = rng.chance(0.6);
  return [
    card.pan,
    card.expiry,
    chip ? `57=${tag57(card, rng)}` : `T2=${track2(card, rng)}`,
    chip ? rng.pick(['051', '071']) : '901',
  ];
}

export function safBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  let t = ctx.epoch + index * 180 * MINUTE;
  let seq = index * 16;
  return recordBlock(() => {
    t += rng.int(30, 3_600) * 1000;
    seq++;
    return record(0x53, [
      `SAF${pad(seq, 6)}`,
      new Date(t).toISOString(),
      rng.pick(['SALE', 'SALE', 'SALE', 'REFUND']),
      String(rng.int(100, 15_000)),
      ctx.currency,
      ...cardFields(rng),
      `STAN${pad((seq * 7) % 1_000_000, 6)}`,
      rng.pick(['HOST_TIMEOUT', 'NO_LINK', 'BELOW_FLOOR']),
      `RETRY${rng.int(0, 5)}`,
    ]);
  });
}

export function batchBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  let t = ctx.epoch + index * 90 * MINUTE;
  let stan = (index * 24) % 1_000_000;
  return recordBlock(() => {
    t += rng.int(20, 900) * 1000;
    stan = (stan + 1) % 1_000_000;
    return record(0x42, [
      `TID${ctx.tid}`,
      `STAN${pad(stan, 6)}`,
      new Date(t).toISOString(),
      rng.pick(['SALE', 'SALE', 'SALE', 'SALE', 'REFUND', 'VOID']),
      String(rng.int(100, 25_000)),
      ctx.currency,
      ...cardFields(rng),
      `AUTH${rng.hex(6)}`,
      `RC00`,
    ]);
  });
}

import { createHash } from 'node:crypto';
import { amountText, stamp } from '../../simulator/content/block.js';
import type { Money } from '../../domain.js';
import type { Device } from './device.js';

/**
 * What a settlement does to the terminal's stores, as a real terminal's end-of-day does
 * (SPEC.md s.6.7): the settled batch's records are cleared from the `batch` store, a settlement
 * record is appended to `settlements` and a line to the device `logs`. Deterministic: the text
 * derives from the seed and the batch, never the clock, so a recorded job replays and a state
 * file restarts into the same bytes.
 */
export interface Settled {
  batchId: string;
  count: number;
  totals: Money[];
}

/** When the simulated terminal settles its batch: a fixed day after its stores' first record. */
function settledAt(device: Device, batchNumber: number): number {
  return device.epoch + 120 * 86_400_000 + (batchNumber % 1440) * 60_000;
}

function reference(device: Device, batchId: string): string {
  return createHash('sha256')
    .update(`posdecom-sim-settlement/1|${device.options.seed}|${batchId}`)
    .digest('hex')
    .slice(0, 8);
}

export function settlementRecord(device: Device, s: Settled, batchNumber: number): string {
  const when = stamp(settledAt(device, batchNumber));
  const totals = s.totals.length > 0 ? s.totals : [{ currency: device.birth.currency, minor: 0 }];
  return totals
    .map(
      (t) =>
        `${when} SETTLE batch=${s.batchId} count=${s.count} sales=${t.currency}${amountText(t.minor, 10)} refunds=${t.currency}${amountText(0, 8)} net=${t.currency}${amountText(t.minor, 10)} host=ACCEPTED ref=${reference(device, s.batchId)}\n`,
    )
    .join('');
}

export function settlementLogLine(device: Device, s: Settled, batchNumber: number): string {
  const when = new Date(settledAt(device, batchNumber)).toISOString();
  const totals = s.totals.map((t) => `${t.currency} ${amountText(t.minor, 0)}`).join(', ') || 'no totals';
  return `${when} INFO  settle   batch ${s.batchId} settled with ${device.birth.acquirer}: ${s.count} transactions, ${totals}\n`;
}

/** Applies a settlement of batch `batchNumber` to the stores (the caller persists). */
export function recordSettlement(device: Device, s: Settled, batchNumber: number): void {
  for (const store of device.stores.values()) {
    if (store.kind === 'batch') store.clear();
    else if (store.kind === 'settlements') store.append([settlementRecord(device, s, batchNumber)]);
    else if (store.kind === 'logs') store.append([settlementLogLine(device, s, batchNumber)]);
  }
}

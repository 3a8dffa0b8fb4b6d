import { CONFIG, printLine, printTextBlock } from '../codec/commands.js';
import { plainBmp, type Bmp } from '../codec/bmp.js';
import { numberToBcd } from '../codec/encoding.js';
import { encodeSingleTotals, CARD_GROUPS, type CardGroup } from '../codec/values.js';
import type { Conversation } from './conversation.js';
import type { ZvtDevice } from './device.js';
import type { TurnoverRecord } from './state.js';

/**
 * Receipts and totals as the terminal sends them. Where receipts go is the ECR's choice at
 * Registration (config byte): admin receipts to the ECR (bit 04) as print lines 06 D1, or as one
 * text block 06 D3 when bit 80 is set; without bit 04 the terminal prints them itself and the
 * ECR sees nothing.
 */
export const RECEIPT_ADMIN = 0x03;
const WIDTH = 40;

export async function sendReceipt(conv: Conversation, device: ZvtDevice, lines: string[]): Promise<void> {
  const config = device.state.configByte ?? 0;
  if ((config & CONFIG.ecrPrintsAdminReceipts) === 0) return;
  if (config & CONFIG.textBlocks) {
    await conv.exchange(printTextBlock(lines, RECEIPT_ADMIN));
    return;
  }
  for (const line of lines) {
    const reply = await conv.exchange(printLine(0x00, line));
    // The ECR's printer refused (84 xx): the rest of the receipt is not sent.
    if (reply !== 'ack') return;
  }
}

export function centred(text: string): string {
  const pad = Math.max(0, Math.floor((WIDTH - text.length) / 2));
  return (' '.repeat(pad) + text).padEnd(WIDTH).slice(0, WIDTH);
}

export function pair(label: string, value: string): string {
  return `${label}${value.padStart(WIDTH - label.length)}`.slice(0, WIDTH);
}

export function stamp(now: Date): string {
  const d = now.toISOString();
  return pair(`${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`, d.slice(11, 19));
}

export function money(minor: number): string {
  return `${Math.floor(minor / 100)},${String(minor % 100).padStart(2, '0')} EUR`;
}

/** BMPs 0C HHMMSS and 0D MMDD of a clock reading (UTC: the simulator has no time zone). */
export function timeBmps(now: Date): Bmp[] {
  const iso = now.toISOString();
  return [
    plainBmp(0x0c, numberToBcd(Number(iso.slice(11, 19).replace(/:/g, '')), 3)),
    plainBmp(0x0d, numberToBcd(Number(iso.slice(5, 10).replace('-', '')), 2)),
  ];
}

/** Status information with the batch's totals: 27, 04 total, 49, 0B trace, 0C, 0D, 60 single totals. */
export function totalsBmps(device: ZvtDevice, batch: TurnoverRecord[]): Bmp[] {
  const groups: Partial<Record<CardGroup, { count: number; total: number }>> = {};
  for (const r of batch) {
    const g = (groups[r.group] ??= { count: 0, total: 0 });
    g.count++;
    g.total += r.amount;
  }
  const total = batch.reduce((n, r) => n + r.amount, 0);
  const single = encodeSingleTotals({
    receiptFrom: batch[0]?.receipt ?? 0,
    receiptTo: batch[batch.length - 1]?.receipt ?? 0,
    groups,
  });
  return [
    plainBmp(0x27, Buffer.from([0x00])),
    plainBmp(0x04, numberToBcd(total, 6)),
    plainBmp(0x49, numberToBcd(device.options.currency, 2)),
    plainBmp(0x0b, numberToBcd(device.state.nextTrace % 1_000_000, 3)),
    ...timeBmps(device.options.now()),
    plainBmp(0x60, single),
  ];
}

export function totalsReceipt(title: string, device: ZvtDevice, batch: TurnoverRecord[]): string[] {
  const lines = [
    centred(`** ${title} **`),
    stamp(device.options.now()),
    pair('Terminal-ID', device.state.tid ?? '-'),
  ];
  for (const g of CARD_GROUPS) {
    const rs = batch.filter((r) => r.group === g);
    if (rs.length > 0) lines.push(pair(`${g} (${rs.length})`, money(rs.reduce((n, r) => n + r.amount, 0))));
  }
  lines.push(pair('TOTAL', money(batch.reduce((n, r) => n + r.amount, 0))));
  return lines;
}

export function configurationReceipt(device: ZvtDevice): string[] {
  const lines = [
    centred('** System configuration **'),
    stamp(device.options.now()),
    pair('Device', device.identity.deviceName),
    pair('Serial', device.identity.serial),
    pair('Software', device.identity.swVersion),
    pair('Terminal-ID', device.state.tid ?? '-'),
    pair('Currency', String(device.options.currency)),
    'Files:',
  ];
  for (const [id, f] of device.files) {
    const gone = device.state.deletedFiles.includes(id);
    lines.push(pair(` ${String(id).padStart(2, '0')} ${f.spec.name}`, gone ? 'deleted' : `${f.spec.size} B`));
  }
  return lines;
}

import { amountText, pad, stamp, textBlock, type Block, type ContentContext } from './block.js';
import { luhnCheckDigit, track2, type Card } from './cards.js';
import type { Prng } from '../prng.js';

/**
 * Generators for the text stores: the transaction journal (masked PANs only; a noncompliant
 * terminal prints the clear PAN and logs track 2 on the detail line), device logs,
 * settlement history and configuration. The journal's repetitive columns are what make it
 * compress 6-10x with deflate, as real journals do; a benchmark of compression is only
 * honest on data shaped like this.
 */

const MINUTE = 60_000;

// A merchant sees the same few issuers all day: masked PANs repeat their first six digits.
const JOURNAL_BINS: readonly (readonly [string, string, string])[] = [
  ['VISA', '476173', 'A0000000031010 VISA CREDIT'],
  ['VISA', '414720', 'A0000000031010 VISA DEBIT'],
  ['VISA', '453201', 'A0000000032010 V PAY'],
  ['MC', '535522', 'A0000000041010 MASTERCARD'],
  ['MC', '222300', 'A0000000041010 MASTERCARD'],
  ['MC', '676770', 'A0000000043060 MAESTRO'],
  ['AMEX', '374245', 'A00000002501 AMERICAN EXPRESS'],
];

/** One journal record: the transaction line and its EMV detail line, as the receipt printer logs it. */
function journalEntry(rng: Prng, ctx: ContentContext, t: number, stan: number): string {
  const head = `${stamp(t)} TID ${ctx.tid} #${pad(stan, 6)}`;
  const roll = rng.float();
  if (roll < 0.08) {
    return `${head} ${rng.pick(['LOGON OK', 'KEY EXCHANGE OK', 'PARAM DOWNLOAD OK', 'ECHO TEST OK'])}\n`;
  }
  const [brand, bin, app] = rng.pick(JOURNAL_BINS);
  const last4 = rng.digits(4);
  const masked = `${bin}${'*'.repeat(brand === 'AMEX' ? 5 : 6)}${last4}`;
  const kind = roll < 0.8 ? 'SALE  ' : roll < 0.88 ? 'REFUND' : roll < 0.93 ? 'VOID  ' : 'PREAUT';
  const minor = rng.int(1, 100) < 80 ? rng.int(100, 9_999) : rng.int(10_000, 60_000);
  const entry = rng.pick(['CTLS ', 'CTLS ', 'CTLS ', 'CHIP ', 'CHIP ', 'SWIPE']);
  const declined = rng.chance(0.06);
  const rc = declined ? rng.pick(['05', '51', '54', '91']) : '00';
  const auth = declined ? '------' : rng.hex(6);
  const verdict = declined ? 'DECLINED' : 'APPROVED';
  const cvm =
    entry === 'CTLS ' ? 'NO CVM REQUIRED' : entry === 'CHIP ' ? 'PIN VERIFIED   ' : 'SIGNATURE      ';
  let pan = masked;
  let trace = '';
  if (ctx.noncompliant) {
    const body = `${bin}${rng.digits((brand === 'AMEX' ? 15 : 16) - 11)}${last4.slice(0, 3)}`;
    pan = `${body}${luhnCheckDigit(body)}`;
    const card = {
      brand: brand as Card['brand'],
      pan,
      expiry: `${rng.int(26, 31)}0${rng.int(1, 9)}`,
      serviceCode: '201',
    };
    trace = ` TRK2 ${track2(card, rng)}`;
  }
  return (
    `${head} ${kind} ${ctx.currency} ${amountText(minor)} ${brand.padEnd(4)} ${pan.padEnd(16)} ${entry} AUTH ${auth} RC ${rc} ${verdict}\n` +
    `${head}   AID ${app.padEnd(32)} TVR ${entry === 'SWIPE' ? '----------' : '0000008000'} CVM ${cvm} RECEIPT MERCHANT+CUSTOMER${trace}\n`
  );
}

export function journalBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  let t = ctx.epoch + index * 45 * MINUTE;
  let stan = (index * 37) % 1_000_000;
  return textBlock(() => {
    t += rng.int(8, 150) * 1000;
    stan = (stan + 1) % 1_000_000;
    return journalEntry(rng, ctx, t, stan);
  });
}

const LOG_LINES: readonly ((rng: Prng) => string)[] = [
  (r) =>
    `INFO  comms    connected to host 10.${r.int(0, 40)}.${r.int(0, 255)}.${r.int(1, 254)}:7000 (tls1.2) in ${r.int(90, 900)} ms`,
  (r) => `INFO  comms    host response rc=00 in ${r.int(200, 2500)} ms`,
  (r) => `WARN  comms    host timeout after ${r.pick(['15000', '30000'])} ms, transaction queued to SAF`,
  (r) =>
    `INFO  emv      kernel ${r.pick(['C-2', 'C-3', 'C-4'])} selected AID ${r.pick(['A0000000031010', 'A0000000041010', 'A000000025010801'])}`,
  (r) =>
    `INFO  emv      CVM ${r.pick(['no CVM', 'online PIN', 'CDCVM', 'signature'])} result ${r.pick(['success', 'success', 'unknown'])}`,
  (r) => `DEBUG ui       screen ${r.pick(['idle', 'amount', 'present-card', 'pin', 'approved', 'receipt'])}`,
  (r) => `INFO  printer  receipt printed (${r.int(18, 40)} lines)`,
  () => `WARN  printer  paper low`,
  (r) => `INFO  power    battery ${r.int(20, 100)}% ${r.pick(['charging', 'discharging'])}`,
  (r) => `INFO  tms      parameter check: no update (version ${r.int(100, 140)})`,
  (r) => `ERROR ctls     card removed too early (err ${r.pick(['0x6A82', '0x6985', 'timeout'])})`,
  (r) => `INFO  saf      forwarded ${r.int(1, 6)} offline transactions`,
  (r) => `INFO  sys      uptime ${r.int(1, 400)} h, free heap ${r.int(200, 900)} KiB`,
];

export function logsBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  let t = ctx.epoch + index * 20 * MINUTE;
  return textBlock(() => {
    t += rng.int(50, 40_000);
    return `${new Date(t).toISOString()} ${rng.pick(LOG_LINES)(rng)}\n`;
  });
}

export function settlementsBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  let day = Math.floor(ctx.epoch / (1440 * MINUTE)) + index * 30;
  let batch = 100 + index * 30;
  return textBlock(() => {
    day += 1;
    batch += 1;
    const count = rng.int(12, 240);
    const sales = count * rng.int(900, 4_500);
    const refunds = rng.chance(0.4) ? rng.int(500, 20_000) : 0;
    const when = stamp(day * 1440 * MINUTE + (23 * 60 + rng.int(0, 50)) * MINUTE);
    return `${when} SETTLE batch=${pad(batch, 6)} count=${count} sales=${ctx.currency}${amountText(sales, 10)} refunds=${ctx.currency}${amountText(refunds, 8)} net=${ctx.currency}${amountText(sales - refunds, 10)} host=${rng.chance(0.97) ? 'ACCEPTED' : 'REJECTED-RETRY'} ref=${rng.hex(8)}\n`;
  });
}

const AIDS = ['A0000000031010', 'A0000000032010', 'A0000000041010', 'A0000000043060', 'A000000025010801'];

export function configBlock(rng: Prng, ctx: ContentContext, index: number): Block {
  const fixed =
    index === 0
      ? [
          `# ${ctx.vendor} ${ctx.model} configuration (no secrets: keys live in the secure element)`,
          `terminal.serial=${ctx.serial}`,
          `terminal.tid=${ctx.tid}`,
          `terminal.mid=${ctx.mid}`,
          `terminal.currency=${ctx.currency}`,
          `host.primary=10.${rng.int(0, 40)}.${rng.int(0, 255)}.${rng.int(1, 254)}:7000`,
          `host.secondary=10.${rng.int(0, 40)}.${rng.int(0, 255)}.${rng.int(1, 254)}:7000`,
          `host.tls=1.2`,
          `host.timeout.ms=30000`,
          `saf.enabled=true`,
          `saf.max.count=${rng.int(20, 200)}`,
          `saf.floor.minor=${rng.int(20, 100) * 100}`,
          `tms.url=https://tms.example.net/${ctx.serial}`,
          `receipt.header=${rng.pick(['CORNER CAFE', 'CITY PHARMACY', 'PARK KIOSK', 'HARBOUR BOOKS'])}`,
        ].map((l) => `${l}\n`)
      : [];
  let n = index * 8;
  let fixedAt = 0;
  return textBlock(() => {
    const line = fixed[fixedAt];
    if (line !== undefined) {
      fixedAt++;
      return line;
    }
    n++;
    const aid = AIDS[n % AIDS.length]!;
    const key = rng.pick([
      'floor.minor',
      'tac.denial',
      'tac.online',
      'tac.default',
      'ttq',
      'ctls.limit.minor',
    ]);
    const value = key.startsWith('tac') || key === 'ttq' ? rng.hex(10) : String(rng.int(0, 500) * 100);
    return `emv.aid.${pad(n, 4)}.${aid}.${key}=${value}\n`;
  });
}

import { maskPan } from '../codec/card-data.js';
import { FILE_IDS } from '../codec/commands.js';
import { randomCard, track2 } from '../../simulator/content/cards.js';
import { Prng } from '../../simulator/prng.js';

/**
 * The terminal's files, by ZVT file-id: sizes from kilobytes to megabytes, contents generated per
 * 4 KiB block from (seed, file, block), so any byte range can be produced without holding the
 * file. Journals hold text lines with masked card numbers only (a noncompliant terminal: clear,
 * Luhn-valid PANs and now and then a track 2); the event log is binary and incompressible (the
 * benchmark reads it).
 */
export type FileKind = 'text' | 'binary';

export interface FileSpec {
  id: number;
  name: string;
  kind: FileKind;
  size: number;
}

const BLOCK = 4096;

const CATALOGUE: { id: number; name: string; kind: FileKind; min: number; max: number }[] = [
  { id: FILE_IDS.merchantJournal, name: 'merchant-journal', kind: 'text', min: 192 * 1024, max: 320 * 1024 },
  { id: FILE_IDS.customerJournal, name: 'customer-journal', kind: 'text', min: 64 * 1024, max: 128 * 1024 },
  { id: FILE_IDS.reconciliation, name: 'reconciliation', kind: 'text', min: 12 * 1024, max: 24 * 1024 },
  { id: FILE_IDS.eventLog, name: 'event-log', kind: 'binary', min: 1024 * 1024, max: 1536 * 1024 },
  { id: FILE_IDS.configuration, name: 'configuration', kind: 'text', min: 4 * 1024, max: 8 * 1024 },
];

export function fileCatalogue(
  seed: number,
  overrides: Partial<Record<number, { size?: number; kind?: FileKind }>> = {},
  scale = 1,
): FileSpec[] {
  const prng = Prng.from(seed, 'zvt-files');
  return CATALOGUE.map((c) => {
    const seeded = Math.max(1, Math.round(prng.int(c.min, c.max) * scale));
    const o = overrides[c.id] ?? {};
    return { id: c.id, name: c.name, kind: o.kind ?? c.kind, size: o.size ?? seeded };
  });
}

/** Bytes [offset, offset+length) of the file; the caller keeps the range inside the file. */
export class FileContent {
  private cached: { block: number; bytes: Buffer } | undefined;

  constructor(
    private readonly seed: number,
    private current: FileSpec,
    private readonly clearCardData = false,
  ) {}

  get spec(): FileSpec {
    return this.current;
  }

  /** The terminal appends `bytes` (a log that keeps logging); their content comes from the seed too. */
  grow(bytes: number): void {
    this.current = { ...this.current, size: this.current.size + bytes };
  }

  read(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const block = Math.floor(at / BLOCK);
      const within = at - block * BLOCK;
      const take = Math.min(BLOCK - within, length - done);
      this.block(block).copy(out, done, within, within + take);
      done += take;
    }
    return out;
  }

  private block(index: number): Buffer {
    if (this.cached?.block === index) return this.cached.bytes;
    const prng = Prng.from(this.seed, `zvt-file:${this.spec.id}:${index}`);
    const bytes =
      this.spec.kind === 'binary' ? binaryBlock(prng) : textBlock(prng, this.spec, index, this.clearCardData);
    this.cached = { block: index, bytes };
    return bytes;
  }
}

function binaryBlock(prng: Prng): Buffer {
  const b = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i += 4) b.writeUInt32LE(prng.next(), i);
  return b;
}

const CARDS = ['girocard', 'MasterCard', 'VISA', 'Maestro', 'V PAY'];

function textBlock(prng: Prng, spec: FileSpec, index: number, clear: boolean): Buffer {
  let text = '';
  let n = index * 64;
  while (text.length < BLOCK) {
    n++;
    text += spec.name === 'configuration' ? configLine(prng, n) : journalLine(prng, n, clear);
  }
  return Buffer.from(text.slice(0, BLOCK), 'latin1');
}

function journalLine(prng: Prng, n: number, clear: boolean): string {
  const day = String(prng.int(1, 28)).padStart(2, '0');
  const time = [prng.int(7, 21), prng.int(0, 59), prng.int(0, 59)]
    .map((x) => String(x).padStart(2, '0'))
    .join(':');
  const amount = (prng.int(50, 25_000) / 100).toFixed(2).padStart(9);
  const card = clear ? randomCard(prng) : undefined;
  const pan = card ? card.pan : maskPan(`${prng.pick(['4', '5', '6'])}${prng.digits(15)}`);
  const kind = prng.pick(['SALE  ', 'SALE  ', 'SALE  ', 'REFUND', 'REVERS']);
  const track = card && prng.chance(0.2) ? ` ${track2(card, prng)}` : '';
  return `2026-03-${day} ${time} #${String(n).padStart(6, '0')} ${kind} EUR ${amount} ${prng.pick(CARDS).padEnd(10)} ${pan} ${prng.chance(0.95) ? 'APPROVED' : 'DECLINED'}${track}\n`;
}

function configLine(prng: Prng, n: number): string {
  return `param.${String(n).padStart(4, '0')}=${prng.hex(prng.int(4, 24))}\n`;
}

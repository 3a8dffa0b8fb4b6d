import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMessage, prefixField, type Message } from '../protocol/zvt/codec/index.js';
import { textBlockLines } from '../protocol/zvt/ecr/evidence.js';
import { fileBlockOf } from '../protocol/zvt/ecr/results.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';

/**
 * ZVT fixtures (header protocol zvt/...) are meant to be shared like the others: this decodes
 * every APDU of every one, with the codec and independently of the masking code, and looks for
 * what must never be there: the terminal's password, card numbers in file data or receipts,
 * card data fields in clear.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

interface Apdu {
  dir: string;
  bytes: Buffer;
  m: Message;
}

function zvtFixtures(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl'))
    .filter((f) => {
      const first = readFileSync(join(FIXTURES, f), 'utf8').split('\n', 1)[0]!;
      return String((JSON.parse(first) as { protocol?: unknown }).protocol).startsWith('zvt');
    })
    .sort();
}

function scan(file: string): { apdus: Apdu[]; texts: string[]; ports: string[] } {
  const apdus: Apdu[] = [];
  const texts: string[] = [];
  const ports: string[] = [];
  let sent: { cls: number; instr: number } | undefined;
  for (const line of readFileSync(join(FIXTURES, file), 'utf8').split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e.kind === 'header') ports.push(String(e.port));
    texts.push(JSON.stringify({ ...e, hex: undefined }));
    if (typeof e.hex !== 'string') continue;
    const bytes = Buffer.from(e.hex, 'hex');
    const decoded = decodeMessage(bytes, e.dir === 'in' && sent ? { sentCommand: sent } : {});
    expect(decoded.ok, `${file}: ${e.hex.slice(0, 40)}`).toBe(true);
    if (!decoded.ok) continue;
    const m = decoded.message;
    if (e.dir === 'out' && m.cls !== 0x80 && m.cls !== 0x84) sent = { cls: m.cls, instr: m.instr };
    apdus.push({ dir: String(e.dir), bytes, m });
    texts.push(bytes.toString('latin1'));
    const text = prefixField(m, 'text');
    if (text) texts.push(text.toString('latin1'));
    texts.push(...textBlockLines(m));
    const block = fileBlockOf(m);
    if (block) texts.push(block.data.toString('latin1'));
  }
  return { apdus, texts, ports };
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function pans(text: string): string[] {
  return [...text.matchAll(/(?<!\d)\d{12,19}(?!\d)/g)].map((m) => m[0]).filter(luhn);
}

async function passwordOf(port: string): Promise<string | undefined> {
  const m = /^sim:zvt\?seed=(\d+)/.exec(port);
  if (!m) return undefined;
  const t = await SimulatedZvtTerminal.create({ seed: Number(m[1]) });
  const password = t.workOrderFor().password;
  await t.close();
  return password;
}

const files = zvtFixtures();

describe('the ZVT fixtures', () => {
  it('are there: a full job, a pending pre-authorisation, no file access, a cable pull with resume', () => {
    for (const story of [
      'zvt-decommission',
      'zvt-preauth-unsettled',
      'zvt-no-file-access',
      'zvt-cable-pull-resume',
    ])
      expect(files).toContain(`${story}.jsonl`);
  });
});

describe.each(files)('ZVT fixture %s', (file) => {
  const s = scan(file);

  it("holds no password: every password field is zeroed, and the terminal's password is nowhere", async () => {
    const fields = s.apdus.map((a) => prefixField(a.m, 'password')).filter((p): p is Buffer => !!p);
    expect(fields.length).toBeGreaterThan(0);
    for (const p of fields) expect(p.toString('hex')).toBe('000000');
    for (const port of new Set(s.ports)) {
      const password = await passwordOf(port);
      expect(password).toMatch(/^\d{6}$/);
      for (const a of s.apdus) {
        const p = prefixField(a.m, 'password');
        if (p) expect(p.toString('hex')).not.toBe(password);
      }
      for (const text of s.texts) expect(text).not.toContain(password);
    }
  });

  it('holds no Luhn-valid card number in any APDU, file data, receipt line or header', () => {
    expect(s.texts.flatMap(pans)).toEqual([]);
  });

  it('holds card data fields, where there are any, masked: no digit past the first 6 and last 4', () => {
    for (const a of s.apdus) {
      for (const b of a.m.bmps) {
        if (b.kind === 'card') expect(String(b.card)).not.toMatch(/\d{7,}/);
      }
    }
  });

  it('gives out no letter or digit (all are X) of a file that may hold card data', () => {
    for (const a of s.apdus) {
      const block = fileBlockOf(a.m);
      if (!block || block.fileId === 5) continue;
      expect(block.data.toString('latin1')).not.toMatch(/[0-9A-WYZa-z]/);
    }
  });
});

describe('the ZVT scanner', () => {
  it("sees real content where the fixture has masked it: the terminal's journal has letters and digits", async () => {
    const s = scan('zvt-decommission.jsonl');
    const masked = s.apdus
      .map((a) => fileBlockOf(a.m))
      .find((b) => b && b.fileId === 1 && b.data.length > 0)!;
    const t = await SimulatedZvtTerminal.create({ seed: 201, fileScale: 0.02 });
    try {
      const original = t.fileBytes(1, masked.offset, masked.data.length);
      expect(original.toString('latin1')).toMatch(/[0-9]{4}.*[A-Z]/s);
      expect(masked.data.toString('latin1')).not.toMatch(/[0-9A-WYZa-z]/);
    } finally {
      await t.close();
    }
  });

  it('recognises a PAN and rejects near misses', () => {
    expect(pans('card 4111111111111111 end')).toEqual(['4111111111111111']);
    expect(pans('4111111111111112 or 411111111111')).toEqual([]);
  });
});

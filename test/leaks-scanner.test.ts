import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../protocol/line/frame.js';
import { encodePayload } from '../protocol/line/payload.js';
import { isLuhnValid as simLuhn } from '../protocol/simulator/content/cards.js';
import { createLinkPair, SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';
import {
  binaryForms,
  findPans,
  pdfText,
  scan,
  textForms,
  transcriptTexts,
} from './helpers/hostile-leak-scanner.js';

/** The leak tests pass only if their scanner would have caught a leak: these prove it does. */

const VISA = '4111111111111111';
const AMEX = '378282246310005';

function pdfWith(text: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ compress: true });
    const parts: Buffer[] = [];
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.font('Helvetica').fontSize(9).text(text);
    doc.end();
  });
}

const open: SimulatedTerminal[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

describe('leak scanner', () => {
  it('finds a card number alone, in track 2, in EMV tag 57 and in groups of four', () => {
    expect(findPans(`pan ${VISA} end`)).toEqual([VISA]);
    expect(findPans(`;${VISA}=2812201123456789012?`)).toEqual([VISA]);
    expect(findPans(`57=${VISA}D28122011234567F`)).toEqual([VISA]);
    expect(findPans('card 4111 1111 1111 1111 ok')).toEqual([VISA]);
    expect(findPans('card 3782-822463-10005 ok')).toEqual([AMEX]);
  });

  it('ignores numbers that fail Luhn or have the wrong length', () => {
    expect(findPans('4111111111111112 411111111111 41111111111111111111')).toEqual([]);
    expect(findPans('mid 296476863055893 tid 55774795 at 2026-11-21T23:43:45.000Z')).toEqual([]);
  });

  it('ignores digit runs inside hex digests, nonces and PDF dates, but not a bare PAN next to them', () => {
    // A digest with a Luhn-valid 16-digit run inside it.
    const digest = `ab${VISA}cd${'e'.repeat(44)}`;
    expect(findPans(`"sha256":"${digest}"`)).toEqual([]);
    expect(findPans('/CreationDate (D:20261121234344Z)')).toEqual([]);
    expect(findPans(`"sha256":"${createHash('sha256').update('x').digest('hex')}","pan":"${VISA}"`)).toEqual([
      VISA,
    ]);
  });

  it('finds a card number in the text of a compressed PDF, which the raw bytes do not show', async () => {
    const pdf = await pdfWith(`Customer card ${VISA} was presented`);
    expect(findPans(pdf.toString('latin1'))).toEqual([]);
    expect(pdfText(pdf)).toContain(VISA);
    expect(scan([{ name: 'x.pdf', bytes: pdf }], [])).toHaveLength(1);
  });

  it('finds a card number in deflated READ data that a transcript holds in base64', () => {
    const line = (f: Parameters<typeof encodeFrame>[0]) => encodeFrame(f, true).subarray(0, -1);
    const record = Buffer.from(
      `SAF000001\x1c${VISA}\x1c2812\x1cT2=;${VISA}=2812201123?`.repeat(20),
      'latin1',
    );
    const data = encodePayload(deflateRawSync(record), '8bit');
    const entries = [
      {
        dir: 'in',
        line: line({
          seq: 1,
          kind: 'R',
          type: 'HELLO',
          header: { ok: true, enc: '8bit', z: 'deflate' },
        }).toString('latin1'),
      },
      {
        dir: 'in',
        b64: line({
          seq: 2,
          kind: 'R',
          type: 'READ',
          header: { ok: true, store: 'saf', offset: 0, length: record.length, z: 'deflate' },
          data,
        }).toString('base64'),
      },
    ];
    const jsonl = Buffer.from(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    expect(findPans(jsonl.toString('latin1'))).toEqual([]);
    expect(transcriptTexts(jsonl).join('\n')).toContain(VISA);
    expect(scan([{ name: 'run.jsonl', bytes: jsonl }], []).length).toBeGreaterThan(0);
  });

  it('finds a key as raw bytes, hex and base64, and a code without its dashes', () => {
    const key = randomBytes(16);
    const forms = [key, Buffer.from(key.toString('hex').toUpperCase()), Buffer.from(key.toString('base64'))];
    for (const leaked of forms) {
      const hits = scan(
        [{ name: 'f', bytes: Buffer.concat([Buffer.from('x '), leaked, Buffer.from(' y')]) }],
        [binaryForms('key', key)],
      );
      expect(hits.map((h) => h.what)).toEqual(['key']);
    }
    const code = textForms('authority code', '7QKM-2F9X-HC4T-8RWZ');
    expect(scan([{ name: 'f', bytes: Buffer.from('code=7QKM2F9XHC4T8RWZ') }], [code])).toHaveLength(1);
  });

  it('finds at least one card number per record in a noncompliant simulated terminal’s saf and batch stores', async () => {
    const t = await SimulatedTerminal.create({ model: 'countertop', seed: 11, noncompliant: true });
    open.push(t);
    const [ours, theirs] = createLinkPair();
    t.attach(theirs);
    const client = new RawClient(ours);
    await client.hello();
    const stores = (await client.request('STORES')).stores as {
      name: string;
      size: number;
      records: number;
    }[];
    for (const name of ['saf', 'batch']) {
      const info = stores.find((s) => s.name === name)!;
      const pans = findPans(t.readStoreBytes(name, 0, info.size).toString('latin1'));
      expect(pans.length, name).toBeGreaterThanOrEqual(info.records);
      for (const pan of pans) expect(simLuhn(pan)).toBe(true);
    }
  });
});

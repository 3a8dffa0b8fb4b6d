import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CardData,
  commands,
  decodeMessage,
  decodeText,
  describeMessage,
  encodeApdu,
  encodeMessage,
  encodeText,
  maskPan,
  parseTlvList,
  encodeTlvList,
  renderMessage,
  type DecodeContext,
} from '../protocol/zvt/codec/index.js';
import type { ProgressEvent } from '../protocol/zvt/ecr/index.js';
import { SequenceEngine } from '../protocol/zvt/ecr/sequence.js';
import { scriptedPts } from './helpers/zvt-scripted-pt.js';

const CONTEXTS: DecodeContext[] = [
  {},
  { sentCommand: { cls: 0x05, instr: 0x01 } },
  { sentCommand: { cls: 0x0f, instr: 0xa1 } },
];
/** A Luhn-valid test PAN (a card scheme's published test number). */
const PAN = '4111111111111111';

describe('ZVT codec', () => {
  it('gives back every byte of any APDU, whatever its class, instruction and data', () => {
    const known = fc.constantFrom(0x04, 0x05, 0x06, 0x08, 0x80, 0x84, 0x0f);
    fc.assert(
      fc.property(
        fc.oneof(known, fc.integer({ min: 0, max: 255 })),
        fc.oneof(
          fc.constantFrom(0x00, 0x0f, 0x1e, 0xff, 0xd1, 0xd3, 0x01, 0x50, 0x11),
          fc.integer({ min: 0, max: 255 }),
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc
            .array(
              fc.constantFrom(
                0x06,
                0x22,
                0x23,
                0x27,
                0x29,
                0x3c,
                0x60,
                0x87,
                0xf1,
                0xf0,
                0x81,
                0x82,
                0x1f,
                0x2d,
                0x00,
              ),
              { maxLength: 60 },
            )
            .map((a) => Uint8Array.from(a)),
        ),
        fc.boolean(),
        fc.constantFrom(...CONTEXTS),
        (cls, instr, data, extended, ctx) => {
          const apdu = encodeApdu(cls, instr, Buffer.from(data), extended);
          const d = decodeMessage(apdu, ctx);
          expect(d.ok).toBe(true);
          if (d.ok) expect(encodeMessage(d.message).equals(apdu)).toBe(true);
        },
      ),
    );
  });

  it('keeps non-minimal TLV lengths, and raw bytes where a constructed tag does not hold TLV', () => {
    const forms = Buffer.from('1f078101032582000807036162630901ff', 'hex');
    const nodes = parseTlvList(forms);
    expect(nodes?.map((n) => n.lengthBytes)).toEqual([2, 3]);
    expect(encodeTlvList(nodes ?? []).equals(forms)).toBe(true);
    const raw = Buffer.from('e40aff4003123456ff4101d5', 'hex');
    const e4 = parseTlvList(raw)?.[0];
    expect(e4?.content.kind).toBe('nodes');
    if (e4?.content.kind === 'nodes')
      expect(e4.content.nodes.map((n) => n.content.kind)).toEqual(['raw', 'raw']);
    expect(parseTlvList(Buffer.from('1f', 'hex'))).toBeUndefined();
  });

  it('masks card data in every rendering: first 6 and last 4 at most, terminal-masked digits kept as E', () => {
    const card = new CardData('pan', Buffer.from(`${PAN}`, 'hex'));
    for (const shown of [String(card), `${card}`, JSON.stringify({ card }), inspect({ card })]) {
      expect(shown).toContain('411111******1111');
      expect(shown).not.toContain(PAN);
    }
    expect(new CardData('track2', Buffer.from(`${PAN}D2512101`, 'hex')).masked).toBe('411111******1111D...');
    expect(new CardData('secret', Buffer.from('1234', 'hex')).masked).toBe('[redacted 2 bytes]');
    expect(maskPan('559883EEEEEE8074')).toBe('559883EEEEEE8074');
    expect(maskPan('1234567890')).toBe('******7890');
    expect(maskPan('12345678')).toBe('********');
  });

  it('shows the password of a command only as asterisks', () => {
    const reg = commands.registration({ password: '246813', configByte: 0xbe, currency: 978 });
    const d = decodeMessage(reg);
    if (!d.ok) throw new Error(d.reason);
    expect(describeMessage(d.message).prefix).toMatchObject({
      password: '******',
      configByte: 0xbe,
      currency: 978,
    });
    for (const shown of [
      renderMessage(d.message),
      JSON.stringify(d.message),
      inspect(d.message, { depth: 8 }),
    ]) {
      expect(shown).not.toContain('246813');
      expect(shown).not.toMatch(/24 68 13|\b36, 104, 19\b/);
    }
    expect(encodeMessage(d.message).equals(reg)).toBe(true);
  });

  it('reads and writes text in code page 437', () => {
    const text = 'Kästchen Öl Übergröße ß';
    expect(decodeText(encodeText(text))).toBe(text);
    expect(encodeText('Ä')).toEqual(Buffer.from([0x8e]));
    expect([...Array(128).keys()].map((i) => decodeText(Buffer.from([0x80 + i]))).join('')).toHaveLength(128);
  });
});

describe('ZVT evidence keeps card numbers out', () => {
  const scripted = scriptedPts();

  it('records a status information with a clear PAN and a receipt line with one, masked in evidence and progress', async () => {
    const { ecr, pt } = scripted();
    const progress: ProgressEvent[] = [];
    const engine = new SequenceEngine(ecr, {
      timers: { t3Ms: 1000, t4Ms: 1000 },
      onProgress: (e) => progress.push(e),
    });
    const run = engine.run({ command: commands.diagnosis() });
    await pt.accept();
    const pan = Buffer.concat([Buffer.from([0x22, 0xf1, 0xf6]), Buffer.from(PAN, 'hex')]);
    await pt.exchange(encodeApdu(0x04, 0x0f, Buffer.concat([Buffer.from([0x27, 0x00]), pan])));
    await pt.exchange(commands.printLine(0, `CARD ${PAN} EUR 12,50`));
    await pt.exchange(commands.completion());
    const outcome = await run;
    const everything = JSON.stringify({ outcome: outcome.evidence, progress });
    expect(everything).toContain('411111******1111');
    expect(everything).not.toContain(PAN);
    expect(everything).not.toMatch(/\d{13,}/);
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayFile } from '../agent/replay/replay.js';
import { ZvtEntryMaker } from '../agent/transcript/zvt-entries.js';
import { plainBmp, tlvBmp } from '../protocol/zvt/codec/bmp.js';
import { fileBlock, printLine, registration, statusInformation } from '../protocol/zvt/codec/commands.js';
import { digitsToBcd } from '../protocol/zvt/codec/encoding.js';
import { decodeMessage } from '../protocol/zvt/codec/message.js';
import { tlv } from '../protocol/zvt/codec/tlv.js';

/**
 * A ZVT transcript can be shared: the password and card data are masked as each APDU is written,
 * every length is kept, so the masked APDU still decodes; and replay still notices a changed request.
 */
const entry = (dir: 'out' | 'in', apdu: Buffer, maker = new ZvtEntryMaker()) =>
  maker.entry(0, dir, 'test', apdu);

describe('ZVT transcript masking', () => {
  it('zeroes the password of a command, and keeps the rest', () => {
    const e = entry('out', registration({ password: '123456', configByte: 0x3c, currency: 978 }));
    expect(e).toMatchObject({ type: 'registration', hex: '0600060000003c0978', masked: 'password' });
  });

  it('masks a PAN and track 2 to the first 6 and last 4 digits, in E nibbles, at the same length', () => {
    const pan = digitsToBcd('4711000000008004');
    const track2 = Buffer.from('4711000000008004D2512201000012345F', 'hex');
    const apdu = statusInformation([
      plainBmp(0x22, pan),
      plainBmp(0x23, track2),
      tlvBmp([tlv(0x5a, digitsToBcd('5598830000008074'))]),
    ]);
    const e = entry('in', apdu);
    const masked = Buffer.from(e.hex!, 'hex');
    expect(masked.length).toBe(apdu.length);
    expect(e.masked).toBe('card-data');
    expect(e.hex).toContain('471100eeeeee8004');
    expect(e.hex).toContain('471100eeeeee8004deeeeeeeeeeeeeeeef');
    expect(e.hex).toContain('559883eeeeee8074');
    expect(e.hex).not.toMatch(/4711000000008004|2512201/);
    expect(decodeMessage(masked).ok).toBe(true);
  });

  it('withholds every byte of a card-data file (packed BCD too), and masks only Luhn-valid runs in the configuration', () => {
    const journal = Buffer.concat([
      Buffer.from('2026-03-01 SALE 4111111111111111 APPROVED\n', 'latin1'),
      Buffer.from('5a08411111111111111157', 'hex'),
    ]);
    const e = entry('in', fileBlock(1, 0, journal.length, journal));
    const data = Buffer.from(e.hex!, 'hex');
    expect(data.toString('latin1')).toContain('X'.repeat(journal.length));
    expect(e.hex).not.toContain('4111111111111111');
    expect(e.hex).not.toContain('41111111');
    const config = Buffer.from('param.0001=4111111111111111 param.0002=ab12\n', 'latin1');
    const c = entry('in', fileBlock(5, 0, config.length, config));
    expect(Buffer.from(c.hex!, 'hex').toString('latin1')).toContain(
      'param.0001=XXXXXXXXXXXXXXXX param.0002=ab12',
    );
  });

  it('keeps the first 6 and last 4 digits of a long number on a receipt line', () => {
    const e = entry('in', printLine(0, 'Card 4111111111111111'));
    expect(Buffer.from(e.hex!, 'hex').toString('latin1')).toContain('Card 411111******1111');
    expect(e.masked).toBe('text');
  });
});

describe('ZVT replay', () => {
  it('notices an APDU the agent sends differently from the recording, and says where', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/zvt-decommission.jsonl', import.meta.url));
    const lines = readFileSync(fixture, 'utf8').split('\n');
    // The recorded Delete File of file 1 becomes one of file 2: the agent's real one no longer matches.
    const at = lines.findIndex((l) => l.includes('"type":"delete-file"'));
    lines[at] = lines[at]!.replace('"hex":"081205060303', '"hex":"081205060303').replace(
      /1d0101"/,
      '1d0102"',
    );
    const edited = join(mkdtempSync(join(tmpdir(), 'posdecom-zvt-replay-')), 'edited.jsonl');
    writeFileSync(edited, lines.join('\n'));
    const report = await replayFile(edited);
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({
      kind: 'mismatch',
      step: 'erase:merchant-journal',
      line: at + 1,
    });
    expect(report.divergence?.message).toMatch(
      /the agent sent delete-file \(0812\) where the recording has delete-file/,
    );
  }, 60_000);
});

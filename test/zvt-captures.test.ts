import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLinkPair } from '../protocol/transport/memory-link.js';
import { cardBytesForEncode } from '../protocol/zvt/codec/card-data.js';
import {
  CardData,
  decodeMessage,
  describeMessage,
  encodeMessage,
  findBmp,
  nibbles,
  renderMessage,
  type DecodeContext,
  type Message,
} from '../protocol/zvt/codec/index.js';
import {
  crc16Kermit,
  encodeSerialFrame,
  frameCrc,
  SerialApduLink,
  SerialFrameParser,
  type FrameEvent,
} from '../protocol/zvt/link/index.js';
import { captureCandidates, findCaptures, resolveAt, type ManifestEntry } from './helpers/zvt-captures.js';

const dir = findCaptures();

/** The command each reply answers, for the layouts that depend on it (06 0F). */
const CONTEXT: Record<ManifestEntry['decode_as'], DecodeContext> = {
  bmp: {},
  'status-enquiry-completion': { sentCommand: { cls: 0x05, instr: 0x01 } },
  'vendor-opaque': { sentCommand: { cls: 0x0f, instr: 0xa1 } },
};

function decoded(bytes: Buffer, entry: ManifestEntry): Message {
  const d = decodeMessage(bytes, CONTEXT[entry.decode_as]);
  if (!d.ok) throw new Error(`${entry.name}: ${d.reason}`);
  return d.message;
}

/** Everything a decoded frame can be turned into for people and files. */
function renderings(m: Message): string {
  return [
    renderMessage(m),
    JSON.stringify(describeMessage(m)),
    JSON.stringify(m),
    inspect(m, { depth: 12 }),
  ].join('\n');
}

if (!dir) {
  describe('ZVT captures', () => {
    it(`ZVT captures not found at ${captureCandidates().join(' or ')} (set POSDECOM_ZVT_CAPTURES): skipped`, () => {
      console.warn(
        `ZVT captures not found at ${captureCandidates().join(' or ')}: the capture tests did not run`,
      );
    });
  });
} else {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] };
  const vectors = JSON.parse(readFileSync(join(dir, 'crc-vectors.json'), 'utf8')) as {
    algorithm: { check_123456789: string };
    vectors: { apdu: string; frame: string; crc: string }[];
    negative: { name: string; bytes: string }[];
  };

  describe('ZVT captures: 29 real APDUs', () => {
    it('lists 29 files', () => {
      expect(manifest.files).toHaveLength(29);
    });

    for (const entry of manifest.files) {
      describe(`${entry.name} (${entry.class_instr})`, () => {
        const bytes = readFileSync(join(dir, entry.name));

        it('has the bytes and sha256 the manifest gives', () => {
          expect(bytes.length).toBe(entry.bytes);
          expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
        });

        it('decodes as the manifest says and re-encodes byte for byte', () => {
          const m = decoded(bytes, entry);
          if (entry.decode_as === 'vendor-opaque') expect(m.layout).toBe('opaque');
          else expect(m.rest).toBeUndefined();
          expect(encodeMessage(m).equals(bytes)).toBe(true);
        });

        const plain = entry.expect.filter((e) => e.masked === undefined);
        if (plain.length > 0) {
          it('holds every expected value', () => {
            const m = decoded(bytes, entry);
            for (const item of plain)
              expect({ at: item.at, value: resolveAt(item, m) }).toEqual({ at: item.at, value: item.value });
          });
        }

        for (const item of entry.expect.filter((e) => e.masked !== undefined)) {
          it(`shows ${item.at} only masked, as ${item.masked}`, () => {
            const m = decoded(bytes, entry);
            const id = parseInt(item.at.slice(4, 6), 16);
            const bmp = findBmp(m.bmps, id);
            if (bmp?.kind !== 'card') throw new Error(`${item.at} is not held as card data`);
            const clearDigits = nibbles(cardBytesForEncode(bmp.card)).replace(/F+$/, '').split('D')[0] ?? '';
            const out = renderings(m);
            expect(bmp.card).toBeInstanceOf(CardData);
            expect(out).toContain(item.masked);
            if (clearDigits !== item.masked) expect(out).not.toContain(clearDigits);
            expect(out).not.toMatch(/\d{13,}/);
          });
        }
      });
    }
  });

  describe('ZVT captures: CRC-16/KERMIT serial frames', () => {
    it('computes the catalogue check value over "123456789"', () => {
      expect(crc16Kermit(Buffer.from('123456789')).toString(16).toUpperCase()).toBe(
        vectors.algorithm.check_123456789,
      );
    });

    for (const v of vectors.vectors) {
      it(`frames ${v.apdu} as ${v.frame} and parses it back`, () => {
        const apdu = Buffer.from(v.apdu, 'hex');
        expect(frameCrc(apdu)).toBe(parseInt(v.crc, 16));
        expect(encodeSerialFrame(apdu).toString('hex').toUpperCase()).toBe(v.frame);
        const events: FrameEvent[] = [];
        new SerialFrameParser((e) => events.push(e)).push(Buffer.from(v.frame, 'hex'));
        expect(events).toEqual([{ type: 'frame', apdu }]);
        const m = decodeMessage(apdu);
        expect(m.ok && encodeMessage(m.message).equals(apdu)).toBe(true);
      });
    }

    for (const n of vectors.negative) {
      it(`rejects the ${n.name} frame with a NAK and delivers nothing`, async () => {
        const [ours, theirs] = createLinkPair();
        const link = new SerialApduLink(ours, { t1Ms: 30 });
        const delivered: Buffer[] = [];
        link.onApdu((a) => delivered.push(a));
        const back: number[] = [];
        theirs.onData((b) => back.push(...b));
        theirs.write(Buffer.from(n.bytes, 'hex'));
        // The truncated frame is NAKed only when T1 (30 ms here) passes without another byte.
        await expect.poll(() => back, { timeout: 2000, interval: 5 }).toEqual([0x15]);
        expect(delivered).toEqual([]);
        const c = link.counters;
        const counted = { 'bad-crc': c.badCrc, 'lone-dle': c.loneDle, truncated: c.truncated }[n.name];
        expect(counted).toBe(1);
        await link.close();
      });
    }
  });
}

describe('ZVT captures: the folder is found', () => {
  it('looks in POSDECOM_ZVT_CAPTURES first, else beside the repository', () => {
    const before = process.env.POSDECOM_ZVT_CAPTURES;
    process.env.POSDECOM_ZVT_CAPTURES = '/nonexistent/zvt';
    try {
      expect(captureCandidates()).toEqual(['/nonexistent/zvt']);
      expect(findCaptures()).toBeUndefined();
    } finally {
      if (before === undefined) delete process.env.POSDECOM_ZVT_CAPTURES;
      else process.env.POSDECOM_ZVT_CAPTURES = before;
    }
  });
});

import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { findCardData } from '../wipe/pci/patterns.js';
import { pciFinding, type PciReport } from '../wipe/pci/report.js';
import { PciScanner } from '../wipe/pci/scanner.js';

/**
 * The PCI scanner that watches every store stream through the backup (wipe/pci/): what it
 * recognises, that it counts the same whatever the chunking (a card number cut by a chunk
 * boundary is found once), that it stays quiet on bytes that only look random, and that its
 * report holds counts and offsets, never a digit of what it found.
 */
const VISA = '4111111111111111';
const AMEX = '378282246310005';
const MC = '5555555555554444';

function bcd(nibbles: string): Buffer {
  return Buffer.from(nibbles.length % 2 === 0 ? nibbles : `${nibbles}F`, 'hex');
}
const tag = (t: number, value: Buffer) => Buffer.concat([Buffer.of(t, value.length), value]);

/** One of everything the scanner knows, at known offsets, between filler bytes. */
function sample(): { bytes: Buffer; offsets: Record<string, number> } {
  const parts: [string, Buffer][] = [
    ['pan-ascii', Buffer.from(`PAN ${VISA} `, 'latin1')],
    ['pan-grouped', Buffer.from(`card 5555 5555 5555 4444 ok `, 'latin1')],
    ['track1', Buffer.from(`%B${AMEX}^SMITH/ALEX^2712201123456789?`, 'latin1')],
    ['track2', Buffer.from(`;${MC}=29011011234567890123?`, 'latin1')],
    ['pan-bcd', tag(0x5a, bcd(VISA))],
    ['track2-bcd', tag(0x57, bcd(`${AMEX}D28082011234567890`))],
  ];
  const offsets: Record<string, number> = {};
  const chunks: Buffer[] = [];
  let at = 0;
  for (const [name, bytes] of parts) {
    const gap = Buffer.alloc(37, 0xff);
    chunks.push(gap);
    at += gap.length;
    offsets[name] = at + (name === 'pan-ascii' ? 4 : name === 'pan-grouped' ? 5 : 0);
    chunks.push(bytes);
    at += bytes.length;
  }
  return { bytes: Buffer.concat(chunks), offsets };
}

function scanIn(bytes: Buffer, cuts: number[]): PciReport {
  const s = new PciScanner();
  let from = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    s.push(from, bytes.subarray(from, cut));
    from = cut;
  }
  return s.finish();
}

/** Deterministic bytes no one can tell from random: AES-256-CTR under a fixed key. */
function keystream(length: number, label: number): Buffer {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, label), Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

describe('the PCI scanner', () => {
  it('counts clear PANs (ASCII, grouped, BCD tag 5A) and track data (track 1, track 2, tag 57) at their offsets', () => {
    const { bytes, offsets } = sample();
    const r = scanIn(bytes, []);
    expect(r.clearPan).toEqual({
      count: 3,
      ascii: 2,
      bcd: 1,
      offsets: [offsets['pan-ascii'], offsets['pan-grouped'], offsets['pan-bcd']],
    });
    expect(r.trackData).toEqual({
      count: 3,
      track1: 1,
      track2Ascii: 1,
      track2Bcd: 1,
      offsets: [offsets.track1, offsets.track2, offsets['track2-bcd']],
    });
    expect(pciFinding(r)?.clauses).toEqual(['3.3.1', '3.4', '3.5.1']);
  });

  it('keeps no digit of what it found, in the report or in the finding', () => {
    const r = scanIn(sample().bytes, []);
    const text = JSON.stringify({ r, f: pciFinding(r) });
    for (const pan of [VISA, AMEX, MC]) {
      for (let i = 0; i + 6 <= pan.length; i++) expect(text).not.toContain(pan.slice(i, i + 6));
    }
  });

  it('finds the same, at the same offsets, however the stream is cut (one byte at a time included)', () => {
    const { bytes } = sample();
    const whole = scanIn(bytes, []);
    expect(
      scanIn(
        bytes,
        Array.from({ length: bytes.length }, (_, i) => i),
      ),
    ).toEqual(whole);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        expect(scanIn(bytes, cuts)).toEqual(whole);
      }),
    );
  });

  it('finds a PAN cut by a chunk boundary once, in ASCII and in BCD', () => {
    for (const body of [
      Buffer.from(`x ${VISA} y`, 'latin1'),
      Buffer.concat([Buffer.of(1), tag(0x5a, bcd(MC)), Buffer.of(2)]),
    ]) {
      for (let cut = 1; cut < body.length; cut++) {
        const r = scanIn(body, [cut]);
        expect(r.clearPan.count, `cut at ${cut}`).toBe(1);
      }
    }
  });

  it('leaves near misses alone: a failed Luhn check, too many digits, a non-card first digit, a bad month, truncated PANs', () => {
    const text = [
      '4111111111111112',
      '41111111111111111111',
      '1111111111111117',
      ';4111111111111111=2913101?',
      '411111******1111',
      '2025-06-14 10:22:31 TID 87618504 #000123',
    ].join(' | ');
    const r = scanIn(Buffer.from(text, 'latin1'), []);
    // The bad month makes the track no track, so its PAN counts as a clear PAN: one finding.
    expect([r.clearPan.count, r.trackData.count]).toEqual([1, 0]);
    expect(findCardData(Buffer.from('411111******1111 5A0841111111', 'latin1'))).toEqual([]);
  });

  it('finds nothing in 4 MiB of bytes that look random (ciphertext, crypto-erased flash)', () => {
    const r = scanIn(keystream(4 * 1024 * 1024, 7), [65_536, 1_000_000, 3_000_001]);
    expect([r.clearPan.count, r.trackData.count]).toEqual([0, 0]);
    expect(r.scannedBytes).toBe(4 * 1024 * 1024);
  });

  it('counts a store read again from its start once, not twice', () => {
    const { bytes } = sample();
    const s = new PciScanner();
    s.push(0, bytes.subarray(0, 100));
    s.push(0, bytes);
    expect(s.finish()).toEqual(scanIn(bytes, []));
  });
});

describe('the simulated terminal’s stores, as the scanner sees them', () => {
  const open: SimulatedTerminal[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });
  const sizes = { saf: 16_384, batch: 16_384 };

  /** Whole records in a 0xA5-framed store (the generation blocks are filled with whole records). */
  function records(bytes: Buffer): number {
    let n = 0;
    for (let i = 0; i + 4 <= bytes.length;) {
      if (bytes[i] !== 0xa5) {
        i++;
        continue;
      }
      n++;
      i += bytes.readUInt16BE(i + 2) + 5;
    }
    return n;
  }

  for (const model of ['countertop', 'mobile', 'unattended'] as const) {
    it(`finds no card data in a compliant ${model} terminal: truncated PANs and encrypted SAF blobs only`, async () => {
      const t = await SimulatedTerminal.create({ model, seed: 61, storeSizes: sizes });
      open.push(t);
      for (const name of t.storeNames) {
        const size = name in sizes ? sizes[name as keyof typeof sizes] : 32_768;
        const bytes = t.readStoreBytes(name, 0, Math.min(size, t.storeSize(name)));
        const r = scanIn(bytes, [4096, 9000]);
        expect([name, r.clearPan.count, r.trackData.count]).toEqual([name, 0, 0]);
      }
    });
  }

  it('counts one clear PAN, one track, one tag 5A and one tag 57 per record of a noncompliant terminal', async () => {
    const t = await SimulatedTerminal.create({
      model: 'countertop',
      seed: 62,
      noncompliant: true,
      storeSizes: sizes,
    });
    open.push(t);
    for (const name of ['saf', 'batch']) {
      const bytes = t.readStoreBytes(name, 0, sizes[name as keyof typeof sizes]);
      const n = records(bytes);
      expect(n).toBeGreaterThan(50);
      const r = scanIn(bytes, [1000, 4096, 4097, 12_000]);
      expect(r.clearPan).toMatchObject({ count: 2 * n, ascii: n, bcd: n });
      expect(r.trackData.count).toBe(2 * n);
      expect(r.trackData.track1 + r.trackData.track2Ascii).toBe(n);
      expect(r.trackData.track2Bcd).toBe(n);
    }
  });
});

import { createCipheriv } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame, type Frame } from '../protocol/line/frame.js';
import { decodePayload, decompress, type PayloadEncoding } from '../protocol/line/payload.js';
import {
  authorityCodeFor,
  createLinkPair,
  SimulatedTerminal,
  type ModelName,
} from '../protocol/line/terminal/index.js';
import { modelProfile, type KeySlotProfile } from '../protocol/line/terminal/models.js';
import { derive } from '../protocol/simulator/prng.js';
import { RawClient } from '../protocol/line/terminal/raw-client.js';
import { findCardData } from '../wipe/pci/patterns.js';
import { findPans } from './helpers/hostile-leak-scanner.js';

/**
 * Fixtures are meant to be shared (with a terminal vendor, in a public repository): this scans
 * every byte of every fixture, headers and decoded store data alike, for what must never be in
 * one. The scanner is written here, independently of the masking code it checks, and is itself
 * shown to find what it looks for.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();
const recording = JSON.parse(
  readFileSync(new URL('./helpers/fixture-recording.json', import.meta.url), 'utf8'),
) as { passphrase: string };
const plan = JSON.parse(readFileSync(join(FIXTURES, 'stories.json'), 'utf8')) as {
  wrongAuthorityCode: string;
};

interface Scanned {
  /** Text to search: JSON lines without their base64 blobs, frame heads, decoded store data. */
  texts: string[];
  /** Decoded READ data, by store, in the order it arrived. */
  reads: { store: string; offset: number; bytes: Buffer }[];
  frames: { dir: string; frame: Frame }[];
  headers: { port: string; identity?: { serial?: string } }[];
}

const scanned = new Map<string, Scanned>();

function scan(file: string): Scanned {
  const known = scanned.get(file);
  if (known) return known;
  const out: Scanned = { texts: [], reads: [], frames: [], headers: [] };
  let enc: PayloadEncoding = 'b64';
  const reads = new Map<number, string>();
  for (const text of readFileSync(join(FIXTURES, file), 'utf8').split('\n')) {
    if (text === '') continue;
    const entry = JSON.parse(text) as Record<string, unknown>;
    if (entry.kind === 'header') out.headers.push(entry as unknown as Scanned['headers'][number]);
    out.texts.push(JSON.stringify({ ...entry, b64: undefined, line: undefined, hex: undefined }));
    const raw =
      typeof entry.line === 'string'
        ? Buffer.from(entry.line, 'latin1')
        : typeof entry.b64 === 'string'
          ? Buffer.from(entry.b64, 'base64')
          : undefined;
    if (!raw) continue;
    const decoded = decodeFrame(raw);
    expect(decoded.ok, `${file}: ${text.slice(0, 80)}`).toBe(true);
    if (!decoded.ok) continue;
    const f = decoded.frame;
    out.frames.push({ dir: String(entry.dir), frame: f });
    const tab = raw.indexOf(0x09);
    out.texts.push(raw.toString('latin1', 0, tab === -1 ? raw.length : tab));
    if (f.type === 'HELLO' && f.kind === 'R' && f.header.ok === true) enc = f.header.enc as PayloadEncoding;
    if (f.type === 'READ' && f.kind === 'Q') reads.set(f.seq, String(f.header.store));
    if (f.type === 'READ' && f.kind === 'R' && f.data) {
      const payload = decodePayload(f.data, enc)!;
      const bytes = f.header.z === 'deflate' ? decompress(payload, Number(f.header.length))! : payload;
      expect(bytes.length).toBe(f.header.length);
      out.reads.push({ store: reads.get(f.seq) ?? '?', offset: Number(f.header.offset), bytes });
      out.texts.push(bytes.toString('latin1'));
    }
  }
  // A PAN cut in two by a chunk boundary is whole again in the store's bytes put back together.
  for (const store of new Set(out.reads.map((r) => r.store))) {
    out.texts.push(
      Buffer.concat(out.reads.filter((r) => r.store === store).map((r) => r.bytes)).toString('latin1'),
    );
  }
  scanned.set(file, out);
  return out;
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

/** Card numbers as a leak scanner sees them: 12-19 digits standing alone, Luhn-valid. */
/**
 * Luhn-valid card numbers, after blanking hex tokens (session ids, nonces, digests) as the leak
 * scanner does: a random session id such as c772945243397959 holds a Luhn-valid run by chance.
 */
function pans(text: string): string[] {
  return findPans(text).filter(luhn);
}

/** The simulator's key bytes for a slot, derived the way protocol/line/terminal/keys.ts does. */
function keyBytes(seed: number, slot: number, p: KeySlotProfile): Buffer {
  const material = derive(seed, `key|${slot}|${p.type}`);
  if (p.algorithm === 'aes128') return Buffer.from(material.subarray(0, 16));
  const key = Buffer.concat([material.subarray(0, 16), material.subarray(0, 8)]);
  for (let i = 0; i < key.length; i++) {
    let ones = 0;
    for (let b = key[i]! >> 1; b; b >>= 1) ones += b & 1;
    key[i] = (key[i]! & 0xfe) | (ones % 2 === 0 ? 1 : 0);
  }
  return key;
}

function kcv(key: Buffer, p: KeySlotProfile): string {
  const cipher = createCipheriv(p.algorithm === 'aes128' ? 'aes-128-ecb' : 'des-ede3-ecb', key, null);
  cipher.setAutoPadding(false);
  return cipher
    .update(Buffer.alloc(p.algorithm === 'aes128' ? 16 : 8))
    .subarray(0, 3)
    .toString('hex')
    .toUpperCase();
}

/** The simulated terminal a port names; a fixture from a real terminal has none. */
function simulated(port: string): { model: ModelName; seed: number; noncompliant: boolean } | undefined {
  const m = /^sim:([a-z]+)\?seed=(\d+)/.exec(port);
  return m
    ? { model: m[1] as ModelName, seed: Number(m[2]), noncompliant: /[?&]noncompliant=1\b/.test(port) }
    : undefined;
}

describe.each(files)('fixture %s', (file) => {
  const s = scan(file);
  const all = s.texts.join('\n');

  it('holds no Luhn-valid card number, in headers or in any decoded store data', () => {
    expect(pans(all)).toEqual([]);
  });

  it('holds no card data the PCI scan recognises, ASCII or packed BCD, in the decoded store data of a store read end to end', () => {
    for (const store of new Set(s.reads.map((r) => r.store))) {
      const joined = Buffer.concat(s.reads.filter((r) => r.store === store).map((r) => r.bytes));
      expect(findCardData(joined).map((m) => `${store}: ${m.kind} at ${m.start}`)).toEqual([]);
    }
  });

  it('holds no authorization MAC, no authority code and no passphrase', () => {
    for (const { dir, frame } of s.frames) {
      if (dir === 'out' && frame.type === 'AUTH') expect(frame.header.mac).toBe('0'.repeat(64));
    }
    const codes = [plan.wrongAuthorityCode, recording.passphrase];
    for (const h of s.headers) {
      const sim = simulated(h.port);
      if (sim && h.identity?.serial) codes.push(authorityCodeFor(sim.seed, h.identity.serial));
    }
    const text = readFileSync(join(FIXTURES, file), 'latin1');
    for (const code of codes) {
      expect(all).not.toContain(code);
      expect(text).not.toContain(code);
      expect(all).not.toContain(code.replace(/-/g, ''));
    }
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN [A-Z ]*KEY/);
  });

  it('reports key slots by slot, type and check value only', () => {
    for (const { dir, frame } of s.frames) {
      if (dir !== 'in' || frame.type !== 'KEYS' || frame.header.ok !== true) continue;
      expect(Object.keys(frame.header).sort()).toEqual(['ok', 'slots']);
      for (const slot of frame.header.slots as Record<string, unknown>[]) {
        expect(Object.keys(slot).sort()).toEqual(['kcv', 'slot', 'type']);
        expect(slot.kcv === null || /^[0-9A-F]{6}$/i.test(String(slot.kcv))).toBe(true);
      }
    }
  });
});

// Fixtures from the simulator: its keys can be derived from the seed, and searched for.
// (ZVT terminals have no key inventory: test/fixtures-secrets-zvt.test.ts scans those.)
const fromSimulator = files.filter((f) => {
  const sim = simulated(scan(f).headers[0]!.port);
  return sim !== undefined && (sim.model as string) !== 'zvt';
});

describe.each(fromSimulator)('fixture %s', (file) => {
  it("holds none of the terminal's key bytes, though it holds their check values", () => {
    const s = scan(file);
    const all = s.texts.join('\n');
    const { model, seed } = simulated(s.headers[0]!.port)!;
    const slots = modelProfile(model).keySlots;
    const keys = slots.map((p, i) => (p.loaded ? keyBytes(seed, i + 1, p) : undefined));
    // The derivation above is proven right by the check values the terminal reported.
    const reported = s.frames.find((f) => f.dir === 'in' && f.frame.type === 'KEYS')?.frame.header.slots as
      { kcv: string | null }[] | undefined;
    if (reported)
      expect(reported.map((r) => r.kcv)).toEqual(keys.map((k, i) => (k ? kcv(k, slots[i]!) : null)));
    const binary = [...s.reads.map((r) => r.bytes), Buffer.from(all, 'latin1')];
    for (const key of keys.filter((k): k is Buffer => k !== undefined)) {
      const forms = [key, key.subarray(0, 8), key.subarray(8, 16)];
      for (const form of forms) {
        for (const text of [
          form.toString('hex'),
          form.toString('hex').toUpperCase(),
          form.toString('base64'),
        ]) {
          expect(all).not.toContain(text);
        }
        for (const b of binary) expect(b.indexOf(form)).toBe(-1);
      }
    }
  });
});

describe('the scanner', () => {
  it('finds the card numbers the withholding removed: the terminal sends them for the same bytes', async () => {
    // A terminal that keeps clear card numbers (a compliant one keeps none to find).
    const s = scan('noncompliant-card-data.jsonl');
    const masked = s.reads.find((r) => r.store === 'batch')!;
    expect(pans(masked.bytes.toString('latin1'))).toEqual([]);
    const terminal = await SimulatedTerminal.create(simulated(s.headers[0]!.port)!);
    const [near, far] = createLinkPair();
    terminal.attach(far);
    const client = new RawClient(near);
    try {
      await client.hello({ enc: ['b64'], z: ['none'] });
      const { bytes } = await client.readStore('batch', masked.offset + masked.bytes.length, 'b64');
      const original = bytes.subarray(masked.offset);
      expect(original.length).toBe(masked.bytes.length);
      expect(pans(original.toString('latin1')).length).toBeGreaterThan(10);
    } finally {
      client.close();
      await terminal.close();
    }
  });

  it('recognises a PAN and rejects near misses', () => {
    expect(pans('card 4111111111111111 end')).toEqual(['4111111111111111']);
    expect(pans('4111111111111112 or 41111111111111111111 or 411111111111')).toEqual([]);
  });
});

describe('the fixtures folder as a whole', () => {
  it('holds the recording passphrase in no file at all (scripts, plans and READMEs included)', () => {
    for (const name of readdirSync(FIXTURES)) {
      expect(readFileSync(join(FIXTURES, name), 'latin1'), name).not.toContain(recording.passphrase);
    }
  });
});

import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PayloadEncoding } from '../protocol/line/payload.js';
import {
  authorityCodeFor,
  createLinkPair,
  MODEL_NAMES,
  SimulatedTerminal,
} from '../protocol/line/terminal/index.js';
import { isLuhnValid } from '../protocol/simulator/content/cards.js';
import { RawClient, readPayload } from '../protocol/line/terminal/raw-client.js';
import { simulatedTerminals } from './helpers/sim-terminals.js';

const terminal = simulatedTerminals(2026);

/** A client plus the length of the longest line the terminal sent it. */
function connect(t: SimulatedTerminal): { client: RawClient; longest: () => number } {
  const [ours, theirs] = createLinkPair();
  t.attach(theirs);
  let longest = 0;
  let current = 0;
  ours.onData((bytes) => {
    for (const b of bytes) {
      current++;
      if (b === 0x0a) {
        longest = Math.max(longest, current);
        current = 0;
      }
    }
  });
  return { client: new RawClient(ours), longest: () => longest };
}

interface StoreRow {
  name: string;
  size: number;
  records: number;
  sha256: string;
  cardData: boolean;
  erased: boolean;
}

async function storeRows(c: RawClient): Promise<StoreRow[]> {
  return (await c.request('STORES')).stores as StoreRow[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('simulated terminal: READ', () => {
  it.each([
    ['8bit', 'deflate', 65536],
    ['b64', 'none', 65536],
    ['8bit', 'none', 4096],
    ['b64', 'deflate', 4096],
  ] as const)('reassembles every store exactly with %s + %s at maxLine %i', async (enc, z, maxLine) => {
    const t = await terminal();
    const { client, longest } = connect(t);
    const hello = await client.hello({ enc: [enc], z: [z], maxLine });
    expect(hello).toMatchObject({ enc, z, maxLine });
    for (const row of await storeRows(client)) {
      const { bytes, reads } = await client.readStore(row.name, row.size, enc as PayloadEncoding);
      expect(bytes.length, row.name).toBe(row.size);
      expect(sha256(bytes), row.name).toBe(row.sha256);
      expect(row.sha256).toBe(t.storeDigest(row.name));
      // Short reads: even deflated, a store much larger than a line takes several READs.
      if (row.size > 16 * maxLine) expect(reads, row.name).toBeGreaterThan(1);
      if (z === 'none') expect(reads, row.name).toBeGreaterThanOrEqual(Math.ceil(row.size / maxLine));
    }
    expect(longest()).toBeLessThanOrEqual(maxLine);
  });

  it.each(MODEL_NAMES)('serves every store of the %s model as STORES describes it', async (model) => {
    const t = await terminal({ model });
    const { client } = connect(t);
    await client.hello();
    const rows = await storeRows(client);
    expect(rows.map((r) => r.name)).toEqual(t.storeNames);
    for (const name of ['journal', 'saf', 'logs', 'config']) expect(t.storeNames).toContain(name);
    for (const row of rows) {
      const { bytes } = await client.readStore(row.name, row.size, '8bit');
      expect(sha256(bytes), row.name).toBe(row.sha256);
      expect(row.records, row.name).toBeGreaterThan(0);
    }
  });

  it('deflates the journal several-fold per response when deflate is negotiated', async () => {
    const t = await terminal();
    const { client } = connect(t);
    await client.hello({ maxLine: 16_384 });
    const seq = client.nextSeq();
    const pending = client.waitFor((f) => f.seq === seq && f.kind === 'R');
    client.send(client.encode('READ', { store: 'journal', offset: 0, length: 200_000 }, seq));
    const frame = await pending;
    expect(frame.header).toMatchObject({ ok: true, z: 'deflate' });
    // A 16 KiB line carries far more than 16 KiB of journal text.
    expect(Number(frame.header.length)).toBeGreaterThan(5 * 16_384);
  });

  it('checks ranges: a range past the end is read to the end; a start past it, negative, fractional, empty or too long is RANGE', async () => {
    const t = await terminal({ storeSizes: { config: 6000 } });
    const { client } = connect(t);
    await client.hello();
    const read = (offset: unknown, length: unknown) =>
      client.request('READ', { store: 'config', offset, length });
    // s.6.10 (1.1): up to the end, and length 0 at the end.
    expect(await read(5990, 11)).toMatchObject({ ok: true, offset: 5990, length: 10 });
    expect(await read(6000, 5)).toMatchObject({ ok: true, offset: 6000, length: 0 });
    expect(await read(6001, 1)).toMatchObject({ ok: false, code: 'RANGE' });
    expect(await read(-1, 10)).toMatchObject({ code: 'RANGE' });
    expect(await read(1.5, 10)).toMatchObject({ code: 'RANGE' });
    expect(await read(0, 1024 * 1024 + 1)).toMatchObject({ code: 'RANGE' });
    expect(await read(0, 0)).toMatchObject({ code: 'RANGE' });
    expect(await client.request('READ', { store: 'vault', offset: 0, length: 1 })).toMatchObject({
      code: 'UNKNOWN_STORE',
    });
  });

  it('serves stores whose size is not a multiple of the generation block, of any size', async () => {
    const t = await terminal({ storeSizes: { journal: 4097, logs: 1, saf: 3 * 4096 + 17 } });
    const { client } = connect(t);
    await client.hello();
    const rows = await storeRows(client);
    for (const name of ['journal', 'logs', 'saf']) {
      const row = rows.find((r) => r.name === name)!;
      const { bytes } = await client.readStore(name, row.size, '8bit', 1000);
      expect(sha256(bytes)).toBe(row.sha256);
    }
    expect(rows.find((r) => r.name === 'logs')).toMatchObject({ size: 1, records: 0 });
  });

  it('hashes a large store without holding it, and agrees with the ground truth', async () => {
    const t = await terminal({ storeSizes: { logs: 24 * 1024 * 1024 + 5 } });
    const { client } = connect(t);
    await client.hello();
    const row = (await storeRows(client)).find((r) => r.name === 'logs')!;
    expect(row.size).toBe(24 * 1024 * 1024 + 5);
    expect(row.sha256).toBe(t.storeDigest('logs'));
    const seq = client.nextSeq();
    const pending = client.waitFor((f) => f.seq === seq && f.kind === 'R');
    client.send(client.encode('READ', { store: 'logs', offset: row.size - 100, length: 100 }, seq));
    expect(readPayload(await pending, '8bit')).toEqual(t.readStoreBytes('logs', row.size - 100, 100));
  });
});

describe('simulated terminal: store content', () => {
  it('is a pure function of the seed', async () => {
    const a = await terminal({ seed: 5 });
    const b = await terminal({ seed: 5 });
    const c = await terminal({ seed: 6 });
    for (const name of a.storeNames) {
      expect(a.storeDigest(name)).toBe(b.storeDigest(name));
      expect(a.storeDigest(name)).not.toBe(c.storeDigest(name));
    }
    expect(a.identity).toEqual(b.identity);
    expect(a.identity.serial).not.toBe(c.identity.serial);
  });

  it('has a plausible identity and an authority code derived from seed and serial', async () => {
    const t = await terminal({ seed: 77 });
    expect(t.identity).toMatchObject({ vendor: expect.any(String), model: 'KPS C420', state: 'active' });
    expect(t.identity.serial).toMatch(/^KC4\d{9}$/);
    expect(t.identity.tid).toMatch(/^\d{8}$/);
    expect(t.identity.mid).toMatch(/^\d{15}$/);
    expect(t.authorityCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(t.authorityCode).toBe(authorityCodeFor(77, t.identity.serial));
    expect(authorityCodeFor(78, t.identity.serial)).not.toBe(t.authorityCode);
  });

  it('keeps a journal of text lines with masked PANs that deflates 6-10x', async () => {
    const t = await terminal();
    const journal = t.readStoreBytes('journal', 0, 256 * 1024);
    const text = journal.toString('latin1');
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d TID \d{8} #\d{6} /);
    expect(text).toMatch(/\d{6}\*{5,6}\d{4}/);
    expect(fullPans(text)).toEqual([]);
    const ratio = journal.length / deflateRawSync(journal).length;
    expect(ratio).toBeGreaterThanOrEqual(6);
    expect(ratio).toBeLessThanOrEqual(10);
  });

  it('keeps, like a compliant terminal, only truncated PANs and encrypted SAF card data, and marks saf and batch cardData', async () => {
    const t = await terminal();
    const { client } = connect(t);
    await client.hello();
    const rows = await storeRows(client);
    for (const name of ['saf', 'batch']) {
      const text = t.readStoreBytes(name, 0, 8192).toString('latin1');
      expect(fullPans(text), name).toEqual([]);
      expect(text, name).toMatch(/\d{6}\*{5,6}\d{4}/);
      expect(text).not.toMatch(/[;%]B?\d{13,19}[=^]/);
      expect(rows.find((r) => r.name === name)?.cardData).toBe(true);
    }
    // Payments still queued carry their card data encrypted: an opaque blob behind "ENC".
    const saf = t.readStoreBytes('saf', 0, 4096);
    expect(saf.includes(Buffer.from('\x1cENC\x00\x30', 'latin1'))).toBe(true);
    for (const name of ['journal', 'logs', 'config', 'settlements']) {
      expect(rows.find((r) => r.name === name)?.cardData).toBe(false);
      const size = rows.find((r) => r.name === name)!.size;
      expect(fullPans(t.readStoreBytes(name, 0, size).toString('latin1')), name).toEqual([]);
    }
    expect(t.readStoreBytes('config', 0, 2000).toString('latin1')).toMatch(/^terminal\.tid=\d{8}$/m);
  });

  it('keeps clear PANs and track data in saf, batch and journal when noncompliant', async () => {
    const t = await terminal({ noncompliant: true });
    for (const name of ['saf', 'batch', 'journal']) {
      const text = t.readStoreBytes(name, 0, 8192).toString('latin1');
      expect(fullPans(text).length, name).toBeGreaterThan(10);
      expect(text, name).toMatch(/;\d{15,16}=\d{4}\d{3}\d+\?/);
    }
    // Track 1, and the EMV tags 5A and 57 in packed BCD, in the binary record stores.
    const saf = t.readStoreBytes('saf', 0, 8192);
    expect(saf.toString('latin1')).toMatch(/%B\d{15,16}\^[A-Z]+\/[A-Z]+\^\d{7}/);
    expect(saf.toString('hex')).toMatch(/5a08[0-9]{16}/);
    expect(saf.toString('hex')).toMatch(/57[01][0-9a-f][0-9]{15,16}d[0-9]{7}/);
  });

  it('scales store sizes with storeScale and overrides them by name', async () => {
    const t = await terminal({ storeScale: 3, storeSizes: { config: 123 } });
    const { client } = connect(t);
    await client.hello();
    const rows = await storeRows(client);
    expect(rows.find((r) => r.name === 'journal')?.size).toBe(3 * 256 * 1024);
    expect(rows.find((r) => r.name === 'config')?.size).toBe(123);
  });

  it('reports key check values, never key material', async () => {
    const t = await terminal();
    const { client } = connect(t);
    await client.hello();
    const { slots } = await client.request('KEYS');
    const list = slots as { slot: number; type: string; kcv: string | null }[];
    expect(list.map((s) => s.type)).toEqual(['TMK', 'TPK', 'TAK', 'IPEK', 'IPEK-AES']);
    for (const s of list) expect(s.kcv).toMatch(/^[0-9A-F]{6}$/);
    expect(new Set(list.map((s) => s.kcv)).size).toBe(list.length);
    const other = await terminal({ seed: 2027 });
    const { client: c2 } = connect(other);
    await c2.hello();
    expect((await c2.request('KEYS')).slots).not.toEqual(slots);
  });
});

/** Digit runs of PAN length that pass the Luhn check: what a leak scanner flags. */
function fullPans(text: string): string[] {
  return (text.match(/(?<!\d)\d{15,16}(?!\d)/g) ?? []).filter(isLuhnValid);
}

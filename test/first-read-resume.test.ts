import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoreInfo } from '../protocol/domain.js';
import { firstReadPathFor } from '../wipe/backup/first-read-checkpoint.js';
import { readDigest } from '../wipe/backup/read-digest.js';
import type { StoreReader } from '../wipe/backup/store-backup.js';

/**
 * The first of a ZVT store's two reads (the one that measures its digest) survives the run it
 * started in: a later run goes on from the byte the cut run reached, and the digest is the one
 * of a read that was never cut. Blocks here are 1000 bytes, so a cut falls between two 64-byte
 * boundaries: with the state key nothing is read twice; without one at most 63 bytes are.
 */
const SIZE = 10_000;
const content = randomBytes(SIZE);
const wholeDigest = createHash('sha256').update(content).digest('hex');
const info: StoreInfo = {
  name: 'merchant-journal',
  kind: 'journal',
  size: SIZE,
  records: 0,
  sha256: '',
  cardData: true,
  erased: false,
};
const KEY = Buffer.alloc(32, 7);

/** A terminal serving 1000-byte blocks from `from`; the link drops after `cutAfter` bytes served. */
function terminal(cutAfter = Infinity): { read: StoreReader; served: () => number; froms: number[] } {
  let served = 0;
  const froms: number[] = [];
  const read: StoreReader = async (_store, from, size, sink) => {
    froms.push(from);
    for (let at = from; at < size; at += 1000) {
      const bytes = content.subarray(at, Math.min(size, at + 1000));
      if (served + bytes.length > cutAfter) throw new Error('link lost');
      served += bytes.length;
      await sink(at, bytes);
    }
    return size;
  };
  return { read, served: () => served, froms };
}

async function checkpointPath(): Promise<string> {
  return firstReadPathFor(await mkdtemp(join(tmpdir(), 'posdecom-first-read-')), '01-merchant-journal.cms');
}

describe('a first read cut short', () => {
  it('goes on at the byte the cut run reached, with the state key: every byte served once', async () => {
    const path = await checkpointPath();
    const cut = terminal(3000);
    const kept: string[] = [];
    const checkpoint = { path, stateKey: KEY, keep: (d: string) => void kept.push(d) };
    await expect(readDigest(cut.read, info, { checkpoint })).rejects.toThrow(/link lost/);
    const again = terminal();
    const events: unknown[] = [];
    const digest = await readDigest(again.read, info, {
      checkpoint: { ...checkpoint, onResume: (e) => events.push(e) },
    });
    expect(digest).toBe(wholeDigest);
    expect(kept).toEqual([wholeDigest]);
    expect(events).toEqual([{ offset: 3000 }]);
    expect(again.froms).toEqual([3000]);
    expect(cut.served() + again.served()).toBe(SIZE);
    // Done: the checkpoint is gone once the digest was kept.
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });

  it('keeps no byte of the store in clear in its checkpoint', async () => {
    const path = await checkpointPath();
    await expect(
      readDigest(terminal(3000).read, info, { checkpoint: { path, stateKey: KEY, keep: () => undefined } }),
    ).rejects.toThrow();
    const text = await readFile(path, 'utf8');
    const c = JSON.parse(text) as { offset: number; hashed: number; sealed: { data: string } };
    expect([c.offset, c.hashed]).toEqual([3000, 2944]);
    const tail = content.subarray(2944, 3000);
    expect(Buffer.from(text).includes(tail)).toBe(false);
    expect(Buffer.from(c.sealed.data, 'base64').includes(tail)).toBe(false);
  });

  it('without a state key stops at the last 64-byte boundary: the few bytes past it are read again', async () => {
    const path = await checkpointPath();
    const cut = terminal(3000);
    const checkpoint = { path, keep: () => undefined };
    await expect(readDigest(cut.read, info, { checkpoint })).rejects.toThrow();
    const again = terminal();
    // 2944 is not on a block boundary of this terminal: it serves from there.
    expect(await readDigest(again.read, info, { checkpoint })).toBe(wholeDigest);
    expect(again.froms).toEqual([2944]);
    expect(cut.served() + again.served()).toBe(SIZE + 56);
  });

  it('after a crash (no chance to save at the cut) loses at most the bytes since the last periodic save', async () => {
    const path = await checkpointPath();
    const checkpoint = { path, stateKey: KEY, every: 4096, keep: () => undefined };
    // What a kill -9 at byte 7000 leaves: the checkpoint as it was before the read failed.
    let onDisk = '';
    const cut = terminal(7000);
    const crashing: StoreReader = (s, from, size, sink) =>
      cut.read(s, from, size, async (o, b) => {
        await sink(o, b);
        onDisk = await readFile(path, 'utf8').catch(() => '');
      });
    await expect(readDigest(crashing, info, { checkpoint })).rejects.toThrow();
    await writeFile(path, onDisk);
    const again = terminal();
    expect(await readDigest(again.read, info, { checkpoint })).toBe(wholeDigest);
    // Saved at 5000 (the first block end at least 4096 bytes on): 2000 bytes are read again.
    expect(again.froms).toEqual([5000]);
  });

  it('a checkpoint changed on disk, or of another size, is not taken up: the read starts at byte 0', async () => {
    for (const change of [
      (t: string) => t.replace(/"offset":3000/, '"offset":2990'),
      (t: string) => t.replace(/"size":10000/, '"size":9000'),
      (t: string) => t.replace(/"sha256":"./, '"sha256":"A'),
      () => 'not json',
    ]) {
      const path = await checkpointPath();
      const checkpoint = { path, stateKey: KEY, keep: () => undefined };
      await expect(readDigest(terminal(3000).read, info, { checkpoint })).rejects.toThrow();
      await writeFile(path, change(await readFile(path, 'utf8')));
      const again = terminal();
      const events: unknown[] = [];
      const digest = await readDigest(again.read, info, {
        checkpoint: { ...checkpoint, onResume: (e) => events.push(e) },
      });
      expect(digest).toBe(wholeDigest);
      expect(again.froms).toEqual([0]);
      expect(events).toEqual([{ restartedBecause: expect.any(String) as string }]);
    }
  });
});

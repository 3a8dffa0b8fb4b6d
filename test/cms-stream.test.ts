/**
 * Memory stays flat however large a store is: a terminal journal can be far larger than the
 * machine's spare memory. The bound is generous on purpose (40 MB for a 64 MiB store): a
 * buffering implementation would grow by the store size, a streaming one by a few MB.
 *
 * Streaming still makes garbage (each cipher call returns a new Buffer), and V8 lets up to about
 * 64 MB of it pile up before collecting, which says nothing about what the code retains. So the
 * sampler also asks for a collection now and then, as a long run would get anyway.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFileTo } from '../wipe/cms/decrypt.js';
import { createEncryptedFileWriter } from '../wipe/cms/encrypt.js';
import { makeKeys, removeDir } from './cms-fixtures.js';
import type { TestKeys } from './cms-fixtures.js';

const MiB = 1024 * 1024;
const STORE = 64 * MiB;
const BOUND = 40 * 1000 * 1000;

let keys: TestKeys;
beforeAll(async () => {
  keys = await makeKeys();
});
afterAll(async () => removeDir(keys.dir));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Runs `work` while sampling RSS; returns the peak growth over the RSS before it started. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  let ticks = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (++ticks % 10 === 0) gc();
  }, 2);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}

describe('streaming a 64 MiB store', () => {
  const block = randomBytes(MiB);
  const file = (): string => join(keys.dir, 'large.cms');
  let expected = '';

  it('encrypts with flat memory', async () => {
    const hash = createHash('sha256');
    const growth = await peakRssGrowth(async () => {
      const w = await createEncryptedFileWriter(file(), { certPem: keys.certPem });
      for (let i = 0; i < STORE / MiB; i++) {
        block[0] = i; // every MiB differs, so nothing could be deduplicated
        if (i % 8 === 0) gc();
        hash.update(block);
        await w.write(block);
      }
      const r = await w.finish();
      expect(r.plaintextBytes).toBe(STORE);
    });
    expected = hash.digest('hex');
    expect(growth).toBeLessThan(BOUND);
  });

  it('decrypts with flat memory', async () => {
    const growth = await peakRssGrowth(async () => {
      const r = await decryptFileTo(file(), keys.keyPem, undefined, join(keys.dir, 'large.bin'), expected);
      expect(r.bytes).toBe(STORE);
    });
    expect(growth).toBeLessThan(BOUND);
  });
});

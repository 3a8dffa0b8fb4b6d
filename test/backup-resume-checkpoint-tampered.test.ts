import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMidstate, newSha256, saveMidstate } from '../wipe/backup/midstate.js';
import {
  BOUNDARY,
  bytesServed,
  CUT,
  fingerprintTags,
  info,
  resumeRig,
  SIZE,
  store,
  uncutRun,
  type Rig,
} from './helpers/resume-rig.js';

/**
 * A resume checkpoint changed on disk or torn never yields a wrong digest or wrong counts: with a
 * state key the change does not authenticate and the kept range is read again; without one a
 * changed midstate shows as a digest mismatch and the store is read again from its start.
 */

let rig: Rig;
let uncut: Awaited<ReturnType<typeof uncutRun>>;

beforeAll(async () => {
  rig = await resumeRig();
  uncut = await uncutRun(rig);
}, 60_000);

afterAll(async () => rig?.dispose());

/** The parts of a checkpoint the tests change. */
interface Parsed {
  state: { sha256: string; observers: { state: { report: { clearPan: { count: number } } } }[] };
  parts: { plaintextSha256: string }[];
}

/** The base64 text with one bit of byte `at` of what it encodes flipped. */
function flipBase64(b64: string, at: number): string {
  const b = Buffer.from(b64, 'base64');
  b[at] = (b[at] ?? 0) ^ 1;
  return b.toString('base64');
}

async function cutThenChange(name: string, withKey: boolean, change: (c: Parsed) => void): Promise<string> {
  const dir = await rig.dir(name);
  await expect(rig.run(dir, { cutAt: CUT, withKey }).result).rejects.toThrow(/test cut/);
  const c = JSON.parse(await readFile(rig.checkpointPath(dir), 'utf8')) as Parsed;
  change(c);
  await writeFile(rig.checkpointPath(dir), JSON.stringify(c));
  return dir;
}

describe('a changed or torn resume checkpoint', () => {
  it.each([
    ['a changed midstate', (c: Parsed) => void (c.state.sha256 = flipBase64(c.state.sha256, 80))],
    ['changed scanner counts', (c: Parsed) => void (c.state.observers[0]!.state.report.clearPan.count = 0)],
    ['a changed part digest', (c: Parsed) => void (c.parts[0]!.plaintextSha256 = '0'.repeat(64))],
  ])('with a state key: %s makes the resume read the store again, exactly', async (what, change) => {
    const dir = await cutThenChange(`tamper-${what.replace(/\W/g, '-')}`, true, change);
    const again = rig.run(dir, { withKey: true });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    expect(again.events[0]).toMatchObject({
      offset: BOUNDARY,
      readFrom: 0,
      rereadBecause: 'its resume state does not authenticate',
    });
    expect(again.served[0]![0]).toBe(0);
    expect(res.receivedSha256).toBe(info.sha256);
    expect(await fingerprintTags(res.fingerprintsPath!)).toEqual(uncut.prints);
    expect(again.scanner.finish()).toEqual(uncut.pci);
  });

  it('without a state key: a changed midstate is a digest mismatch, and the store is read again', async () => {
    const dir = await cutThenChange('tamper-no-key', false, (c) => {
      c.state.sha256 = flipBase64(c.state.sha256, 80);
    });
    const again = rig.run(dir, { withKey: false });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    expect(res.receivedSha256).toBe(info.sha256);
    expect(again.events.at(-1)).toMatchObject({ restartedBecause: expect.stringMatching(/digest mismatch/) });
    expect(again.scanner.finish()).toEqual(uncut.pci);
    expect(await rig.restored(dir, res.parts)).toEqual(store);
  });

  it('a torn checkpoint starts the store again from its first byte', async () => {
    const dir = await rig.dir('torn');
    await expect(rig.run(dir, { cutAt: CUT, withKey: true }).result).rejects.toThrow(/test cut/);
    const text = await readFile(rig.checkpointPath(dir), 'utf8');
    await writeFile(rig.checkpointPath(dir), text.slice(0, Math.floor(text.length / 2)));
    const again = rig.run(dir, { withKey: true });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    expect(again.events).toEqual([{ restartedBecause: 'its resume checkpoint is unreadable or malformed' }]);
    expect(bytesServed(again.served)).toBe(SIZE);
    expect(res.receivedSha256).toBe(info.sha256);
    expect(again.scanner.finish()).toEqual(uncut.pci);
  });
});

describe('a SHA-256 midstate', () => {
  it('is saved only on a 64-byte boundary, with no byte of content, and goes on to the same digest', async () => {
    const h = await newSha256();
    h.update(store.subarray(0, 100));
    expect(saveMidstate(h, 100)).toBeUndefined();
    h.update(store.subarray(100, 128));
    const saved = Buffer.from(saveMidstate(h, 128)!, 'base64');
    for (let at = 0; at + 8 <= 128; at++) expect(saved.includes(store.subarray(at, at + 8))).toBe(false);
    expect(await loadMidstate(saved.toString('base64'), 64)).toBeUndefined();
    const again = (await loadMidstate(saved.toString('base64'), 128))!;
    again.update(store.subarray(128));
    expect(again.digest('hex')).toBe(info.sha256);
  });

  it('is refused when its block buffer is not empty (a state that would carry content)', async () => {
    const h = await newSha256();
    h.update(store.subarray(0, 128));
    const saved = Buffer.from(saveMidstate(h, 128)!, 'base64');
    saved[10] = 0x41;
    expect(await loadMidstate(saved.toString('base64'), 128)).toBeUndefined();
  });
});

import { scryptSync } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESUME_STATE_LABEL } from '../wipe/backup/resume-state.js';
import {
  BOUNDARY,
  bytesServed,
  CUT,
  fingerprintTags,
  info,
  JOB,
  PAN_ASCII,
  PAN_BCD,
  PART,
  resumeRig,
  SECRET,
  SIZE,
  store,
  uncutRun,
  type Rig,
} from './helpers/resume-rig.js';

/**
 * A backup cut after its second complete part, resumed: the simulated terminal serves exactly the
 * bytes from the end of the last complete part (nothing read twice), and the digest, the block
 * fingerprints and the PCI counts are those of a run that was never cut, a card number straddling
 * the part boundary included. What the cut leaves in DIR holds no store content and no key in
 * clear, base64-encoded values included.
 */

let rig: Rig;
let uncut: Awaited<ReturnType<typeof uncutRun>>;

beforeAll(async () => {
  rig = await resumeRig();
  uncut = await uncutRun(rig);
}, 60_000);

afterAll(async () => rig?.dispose());

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)])),
  );
  return nested.flat();
}

/** Every string in a JSON value, as text and decoded from base64 (a raw scan misses encoded bytes). */
function decodedStrings(v: unknown): Buffer[] {
  if (typeof v === 'string') return [Buffer.from(v, 'latin1'), Buffer.from(v, 'base64')];
  if (Array.isArray(v)) return v.flatMap(decodedStrings);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(decodedStrings);
  return [];
}

describe('a backup resumed after a cut', () => {
  it('has card data planted across part boundaries, so the counts below mean something', () => {
    expect(uncut.served).toBe(SIZE);
    expect(uncut.pci.clearPan).toMatchObject({ count: 2, ascii: 1, bcd: 1 });
    expect(uncut.pci.trackData).toMatchObject({ count: 1, track2Ascii: 1 });
    expect(uncut.pci.clearPan.offsets).toContain(BOUNDARY - 7);
  });

  it('asks the terminal for no byte twice: what the cut run received past the last part end was sealed in its checkpoint', async () => {
    const dir = await rig.dir('with-key');
    const cut = rig.run(dir, { cutAt: CUT, withKey: true });
    await expect(cut.result).rejects.toThrow(/test cut/);
    // The cut run had the READ that crossed the boundary: up to RECEIVED.
    const RECEIVED = 18000;
    expect(cut.served.at(-1)![1]).toBe(RECEIVED);
    const again = rig.run(dir, { withKey: true });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    expect(again.events).toEqual([{ offset: BOUNDARY, parts: 2, readFrom: RECEIVED }]);
    expect(again.served[0]![0]).toBe(RECEIVED);
    expect(bytesServed(cut.served) + bytesServed(again.served)).toBe(SIZE);
    expect(res.receivedSha256).toBe(info.sha256);
    expect(res.receivedSha256).toBe(uncut.digest);
    expect(await fingerprintTags(res.fingerprintsPath!)).toEqual(uncut.prints);
    expect(again.scanner.finish()).toEqual(uncut.pci);
    // The erase verification's block sketches too (sealed in the checkpoint, they go on exactly).
    expect(again.sketches.finish()).toEqual(uncut.sketches);
    expect(res.parts.map((p) => p.offset)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * PART));
    expect(await rig.restored(dir, res.parts)).toEqual(store);
  });

  it('cut twice, the second time before the next part end: every byte is still served once', async () => {
    const dir = await rig.dir('twice');
    const first = rig.run(dir, { cutAt: CUT, withKey: true });
    await expect(first.result).rejects.toThrow(/test cut/);
    // The second run gets the sealed bytes up to 18000, reads on, and is cut before 3 * PART.
    const second = rig.run(dir, { cutAt: 3 * PART - 100, withKey: true });
    await expect(second.result).rejects.toThrow(/test cut/);
    const third = rig.run(dir, { withKey: true });
    const res = await third.result;
    expect(res.status, res.error).toBe('ok');
    expect(third.events).toEqual([{ offset: BOUNDARY, parts: 2, readFrom: second.served.at(-1)![1] }]);
    expect(bytesServed(first.served) + bytesServed(second.served) + bytesServed(third.served)).toBe(SIZE);
    expect(res.receivedSha256).toBe(uncut.digest);
    expect(await fingerprintTags(res.fingerprintsPath!)).toEqual(uncut.prints);
    expect(third.scanner.finish()).toEqual(uncut.pci);
    expect(third.sketches.finish()).toEqual(uncut.sketches);
    expect(await rig.restored(dir, res.parts)).toEqual(store);
  });

  it('after a crash (no chance to seal what came past the part end), reads exactly from the last complete part’s end', async () => {
    const dir = await rig.dir('crash');
    let onDisk = '';
    const beforeCut = async () => void (onDisk = await readFile(rig.checkpointPath(dir), 'utf8'));
    await expect(rig.run(dir, { cutAt: CUT, withKey: true, beforeCut }).result).rejects.toThrow(/test cut/);
    await writeFile(rig.checkpointPath(dir), onDisk);
    const again = rig.run(dir, { withKey: true });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    expect(again.events).toEqual([{ offset: BOUNDARY, parts: 2, readFrom: BOUNDARY }]);
    expect(again.served[0]).toEqual([BOUNDARY, BOUNDARY + 3000]);
    expect(bytesServed(again.served)).toBe(SIZE - BOUNDARY);
    expect(res.receivedSha256).toBe(uncut.digest);
    expect(await fingerprintTags(res.fingerprintsPath!)).toEqual(uncut.prints);
    expect(again.sketches.finish()).toEqual(uncut.sketches);
    expect(await rig.restored(dir, res.parts)).toEqual(store);
  });

  it('a cut before the first part end keeps what it received too: the next run reads on from there', async () => {
    const dir = await rig.dir('first-part');
    const cut = rig.run(dir, { cutAt: 7000, withKey: true });
    await expect(cut.result).rejects.toThrow(/test cut/);
    const again = rig.run(dir, { withKey: true });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    expect(again.events).toEqual([{ offset: 0, parts: 0, readFrom: 6000 }]);
    expect(bytesServed(cut.served) + bytesServed(again.served)).toBe(SIZE);
    expect(res.receivedSha256).toBe(uncut.digest);
    expect(await fingerprintTags(res.fingerprintsPath!)).toEqual(uncut.prints);
    expect(again.scanner.finish()).toEqual(uncut.pci);
    expect(again.sketches.finish()).toEqual(uncut.sketches);
    expect(await rig.restored(dir, res.parts)).toEqual(store);
  });

  it('without a state key, reads again only the scanner’s look-back before the boundary', async () => {
    const dir = await rig.dir('no-key');
    await expect(rig.run(dir, { cutAt: CUT, withKey: false }).result).rejects.toThrow(/test cut/);
    const again = rig.run(dir, { withKey: false });
    const res = await again.result;
    expect(res.status, res.error).toBe('ok');
    const from = again.served[0]![0];
    expect(BOUNDARY - from).toBeGreaterThan(0);
    expect(BOUNDARY - from).toBeLessThanOrEqual(136);
    expect(again.events).toEqual([{ offset: BOUNDARY, parts: 2, readFrom: from }]);
    expect(bytesServed(again.served)).toBe(SIZE - from);
    expect(res.receivedSha256).toBe(info.sha256);
    expect(again.scanner.finish()).toEqual(uncut.pci);
    expect(await rig.restored(dir, res.parts)).toEqual(store);
  });

  it.each([true, false])(
    'leaves no store content and no key in clear in any file of DIR (state key: %s)',
    async (withKey) => {
      const dir = await rig.dir(`leak-${withKey}`);
      await expect(rig.run(dir, { cutAt: CUT, withKey }).result).rejects.toThrow(/test cut/);
      const files = await filesUnder(dir);
      expect(files).toContain(rig.checkpointPath(dir));
      const { state } = JSON.parse(await readFile(rig.checkpointPath(dir), 'utf8')) as { state: object };
      expect(Object.keys(state)).toEqual(
        withKey
          ? ['offset', 'sha256', 'prints', 'observers', 'lookBackFrom', 'ahead', 'sealed']
          : ['offset', 'sha256', 'observers', 'lookBackFrom'],
      );
      const keys = [
        Buffer.from(SECRET),
        rig.key.subkey(RESUME_STATE_LABEL),
        // The fingerprint key itself (fingerprints.ts derives it so).
        scryptSync(SECRET, `posdecom block fingerprints/1|${JOB}`, 32, { N: 1 << 14, r: 8, p: 1 }),
      ];
      for (const file of files) {
        const raw = await readFile(file);
        let blobs: Buffer[] = [raw];
        if (file.endsWith('.json')) blobs = [...blobs, ...decodedStrings(JSON.parse(raw.toString('utf8')))];
        for (const blob of blobs) {
          for (const k of keys) expect(blob.includes(k), `a key in ${file}`).toBe(false);
          expect(blob.includes(PAN_ASCII), file).toBe(false);
          expect(blob.includes(PAN_BCD.subarray(2)), file).toBe(false);
          // No 16-byte run of the store read so far (the midstate's block buffer included).
          for (let at = 0; at + 16 <= CUT; at += 8)
            expect(blob.includes(store.subarray(at, at + 16)), `${file} holds bytes at ${at}`).toBe(false);
        }
      }
    },
  );
});

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreInfo } from '../../protocol/domain.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { checkpointPathFor } from '../../wipe/backup/checkpoint.js';
import { RESUME_STATE_LABEL } from '../../wipe/backup/resume-state.js';
import { backupStore, type ResumeEvent, type StoreReader } from '../../wipe/backup/store-backup.js';
import { decryptFileInto } from '../../wipe/cms/decrypt.js';
import { loadRecipient } from '../../wipe/cms/encrypt.js';
import { FingerprintKey } from '../../wipe/erasure/fingerprints.js';
import type { PciReport } from '../../wipe/pci/report.js';
import { PciScanner } from '../../wipe/pci/scanner.js';
import { SketchObserver } from '../../wipe/erasure/sketch-observer.js';
import { BlockSketcher } from '../../wipe/erasure/sketch.js';
import { loadPrivateKey } from '../../wipe/pki/keys.js';
import { testPki, type TestPki } from './job-harness.js';

/**
 * One store backed up straight through backupStore, from a simulated terminal that records the
 * READ ranges it serves and can drop the link at a chosen byte: a cut after the second complete
 * part, then the resume. Card data is planted across part boundaries: an ASCII PAN across the
 * boundary the resume starts at, a BCD PAN (EMV tag 5A) across the first part end, a track 2.
 */
export const PART = 8192;
export const SIZE = 5 * PART + 1234;
/** The end of the last complete part when the cut comes. */
export const BOUNDARY = 2 * PART;
export const CUT = BOUNDARY + 3000;
export const SECRET = 'authority-code-4711';
export const JOB = 'job-resume-reads-on';
export const PAN_ASCII = '4111111111111111';
export const PAN_BCD = Buffer.from('5a085555555555554444', 'hex');
const TRACK2 = ';4012888888881881=25121010000000000?';
const CHUNK = 3000;

export const store = makeStore();
export const info: StoreInfo = {
  name: 'batch',
  kind: 'batch' as StoreInfo['kind'],
  size: SIZE,
  records: 3,
  sha256: createHash('sha256').update(store).digest('hex'),
  cardData: true,
  erased: false,
};

function makeStore(): Buffer {
  // Printable, non-digit filler: no card data but what is planted.
  const b = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = 0x61 + ((i * 7 + (i >> 5)) % 26);
  b.write(` ${PAN_ASCII} `, BOUNDARY - 8, 'latin1');
  PAN_BCD.copy(b, PART - 4);
  b.write(` ${TRACK2} `, 3 * PART + 100, 'latin1');
  return b;
}

export type Served = [number, number][];
export const bytesServed = (served: Served) => served.reduce((n, [a, b]) => n + b - a, 0);

/** A terminal serving READs of CHUNK bytes from `from`; records what it served; may drop the link. */
function terminal(cutAt?: number, beforeCut?: () => Promise<void>): { read: StoreReader; served: Served } {
  const served: Served = [];
  const read: StoreReader = async (_name, from, size, sink) => {
    for (let at = from; at < size;) {
      const end = Math.min(size, at + CHUNK);
      if (cutAt !== undefined && end > cutAt) {
        await beforeCut?.();
        throw new PosdecomError(ErrorCode.TransportDisconnected, 'link lost (test cut)');
      }
      served.push([at, end]);
      await sink(at, store.subarray(at, end));
      at = end;
    }
    return size;
  };
  return { read, served };
}

export interface Rig {
  root: string;
  pki: TestPki;
  key: FingerprintKey;
  /** A new job directory with backup/ and work/. */
  dir(name: string): Promise<string>;
  /** `beforeCut` runs when the link is about to drop (a test keeps what a kill -9 would leave). */
  run(dir: string, o: { cutAt?: number; withKey: boolean; beforeCut?: () => Promise<void> }): Run;
  checkpointPath(dir: string): string;
  /** The parts' plaintext joined, decrypted with the recipient's key. */
  restored(dir: string, parts: readonly { file: string; plaintextSha256: string }[]): Promise<Buffer>;
  dispose(): Promise<void>;
}

export interface Run {
  result: ReturnType<typeof backupStore>;
  served: Served;
  scanner: PciScanner;
  /** Block sketches (with a state key only: they are kept in a checkpoint only sealed). */
  sketches: SketchObserver;
  events: ResumeEvent[];
}

export async function resumeRig(): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), 'posdecom-resume-reads-on-'));
  const pki = await testPki();
  const recipient = await loadRecipient(pki.recipientCertPath);
  const key = await FingerprintKey.derive(SECRET, JOB);
  const sketcher = new BlockSketcher(Buffer.alloc(32, 7));
  return {
    root,
    pki,
    key,
    async dir(name) {
      const dir = join(root, name);
      await mkdir(join(dir, 'backup'), { recursive: true });
      await mkdir(join(dir, 'work'), { recursive: true });
      return dir;
    },
    run(dir, o) {
      const t = terminal(o.cutAt, o.beforeCut);
      const scanner = new PciScanner();
      const sketches = new SketchObserver(sketcher);
      const events: ResumeEvent[] = [];
      const result = backupStore(info, {
        backupDir: join(dir, 'backup'),
        index: 1,
        recipient,
        partBytes: PART,
        read: t.read,
        observers: o.withKey ? [scanner, sketches] : [scanner],
        onResume: (e) => events.push(e),
        ...(o.withKey
          ? { fingerprints: { key, dir: join(dir, 'work') }, stateKey: key.subkey(RESUME_STATE_LABEL) }
          : {}),
      });
      return { result, served: t.served, scanner, sketches, events };
    },
    checkpointPath: (dir) => checkpointPathFor(join(dir, 'backup'), '01-batch.cms'),
    async restored(dir, parts) {
      const k = await loadPrivateKey(pki.recipientKeyPath, pki.passphrase);
      const out: Buffer[] = [];
      for (const p of parts)
        await decryptFileInto(
          join(dir, 'backup', p.file),
          k,
          async (b) => void out.push(...b),
          p.plaintextSha256,
        );
      return Buffer.concat(out);
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/** What a run that was never cut ends with: the references the resumed runs are held to. */
export async function uncutRun(
  rig: Rig,
): Promise<{ digest: string; prints: Buffer; pci: PciReport; sketches: Buffer; served: number }> {
  const r = rig.run(await rig.dir('uncut'), { withKey: true });
  const res = await r.result;
  if (res.status !== 'ok' || !res.fingerprintsPath)
    throw new Error(`the uncut run failed: ${res.error ?? ''}`);
  const prints = await fingerprintTags(res.fingerprintsPath);
  const pci = r.scanner.finish();
  return {
    digest: res.receivedSha256,
    prints,
    pci,
    sketches: r.sketches.finish(),
    served: bytesServed(r.served),
  };
}

/** The fingerprint tags of a .fp file (its header's wrapped key differs each time: OAEP is randomised). */
export async function fingerprintTags(path: string): Promise<Buffer> {
  const b = await readFile(path);
  return b.subarray(b.indexOf(0x0a) + 1);
}

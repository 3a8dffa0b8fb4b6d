import type { StoreInfo } from '../../protocol/domain.js';
import type { BackupStream } from './backup-stream.js';
import { writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { PartSequence, type BackupPart } from './parts.js';
import { ReceivedAhead } from './received-ahead.js';
import type { ResumeRange } from './resume-range.js';
import type { Recipient } from '../cms/encrypt.js';

/**
 * A store backup's pipeline as its checkpoints see it: each complete part (but the store's last)
 * checkpointed with the pipeline's state at its end, and, when the read fails after it, the
 * bytes received since (received-ahead.ts).
 */

/** What of BackupStoreOptions (store-backup.ts) the parts and their checkpoints need. */
export interface PartOptions {
  backupDir: string;
  index: number;
  recipient: Recipient & { sha256Fingerprint: string };
  stateKey?: Buffer | undefined;
}

export interface Pipeline {
  range: ResumeRange;
  partBytes: number;
  checkpointPath: string;
  parts: BackupPart[];
  stream: BackupStream;
  /** Plaintext received since `lastSaved`, the pipeline's state at the last part end. */
  received: ReceivedAhead;
  lastSaved?: ReturnType<BackupStream['capture']>;
}

export function newPipeline(
  range: ResumeRange,
  stream: BackupStream,
  partBytes: number,
  checkpointPath: string,
): Pipeline {
  const parts = [...range.parts];
  const p: Pipeline = {
    range,
    partBytes,
    checkpointPath,
    parts,
    stream,
    received: new ReceivedAhead(range.offset),
  };
  // The state to seal received bytes with, should the read fail before the first part end.
  if (stream.hashedFrom === range.offset && stream.readFrom >= range.offset)
    p.lastSaved = stream.capture(range.offset);
  return p;
}

/** What the checkpoint says of the store and its complete parts (all but the store's last). */
function checkpointOf(info: StoreInfo, o: PartOptions, p: Pipeline): Omit<Checkpoint, 'format' | 'state'> {
  return {
    store: info.name,
    size: info.size,
    terminalSha256: info.sha256,
    recipientSha256: o.recipient.sha256Fingerprint,
    partBytes: p.partBytes,
    parts: p.parts.filter((part) => part.offset + part.length < info.size),
  };
}

/** The parts still to write, checkpointed as each one completes (all but the store's last). */
export function partSequence(info: StoreInfo, o: PartOptions, p: Pipeline): PartSequence {
  return new PartSequence({
    backupDir: o.backupDir,
    index: o.index,
    storeName: info.name,
    size: info.size,
    partBytes: p.partBytes,
    recipient: o.recipient,
    firstPart: p.range.parts.length,
    onPart: async (part) => {
      p.parts.push(part);
      const end = part.offset + part.length;
      // The last part completes the store: the manifest, not the checkpoint, records it. The
      // pipeline has seen exactly [0, end) here (readThrough splits pieces at part ends).
      if (end >= info.size) return;
      p.lastSaved = p.stream.capture(end);
      p.received.restartAt(end);
      await writeCheckpoint(
        p.checkpointPath,
        checkpointOf(info, o, p),
        p.lastSaved && { ...p.lastSaved, stateKey: o.stateKey },
      );
    },
  });
}

/**
 * A read that failed past the last part end (this run lives on, e.g. to exit 9): the bytes it
 * received since go into the checkpoint, sealed, so the next run does not ask for them again.
 */
export async function checkpointReceived(info: StoreInfo, o: PartOptions, p: Pipeline): Promise<void> {
  const saved = p.lastSaved;
  const end = p.parts.filter((part) => part.offset + part.length < info.size).at(-1);
  const at = end ? end.offset + end.length : 0;
  if (!o.stateKey || !saved || saved.state.offset !== at) return;
  const ahead = p.received.since(at);
  if (!ahead) return;
  await writeCheckpoint(p.checkpointPath, checkpointOf(info, o, p), {
    ...saved,
    stateKey: o.stateKey,
    ahead,
  });
}

import { ErrorCode, PosdecomError } from '../../errors.js';
import { readFile as readFileCommand } from '../codec/commands.js';
import { RESULT } from '../codec/result-codes.js';
import type { Evidence } from './evidence.js';
import { fileBlockOf, type FileBlock } from './results.js';
import type { SequenceEngine, SequenceOutcome } from './sequence.js';
import type { SequenceTimers } from './options.js';

/**
 * Read File (08 11): the terminal sends the file in blocks of status information, each answered
 * by the ECR with 80 00 00 to go on or 84 xx to stop. The blocks are checked as they come, so a
 * terminal that sends another file, skips or repeats a stretch, runs past the size it announced
 * or ends short is stopped with a one-line error rather than producing a wrong backup.
 */
export interface ReadFileOptions {
  /** Resume from this byte (sent as TLV 1E); blocks must start here. */
  offset?: number;
  /**
   * Only the size the terminal announces is wanted (a listing): the first block may start
   * elsewhere than `offset` (a terminal that does not take TLV 1E), and the caller stops after it.
   */
  probe?: boolean;
  /** Each block in order; return 'stop' to end the transfer after it (the ECR answers 84 6C). */
  onBlock: (block: FileBlock) => void | 'stop';
  timers?: Partial<SequenceTimers>;
}

export type ReadFileResult =
  | { kind: 'complete'; size: number; bytesRead: number; evidence: Evidence }
  | { kind: 'stopped'; size: number; nextOffset: number; evidence: Evidence }
  /** The terminal ended the sequence with an Abort: e.g. no such file (result code 83 in our simulator). */
  | { kind: 'aborted'; resultCode: number; resultText: string; evidence: Evidence };

/** A file transfer may take hours at 9600 baud: its own wall-clock bound, not the default 30 minutes. */
const READ_FILE_BOUND_MS = 6 * 60 * 60_000;

export async function readFileSequence(
  engine: SequenceEngine,
  fileId: number,
  options: ReadFileOptions,
): Promise<ReadFileResult | Extract<SequenceOutcome, { kind: 'refused' }>> {
  const start = options.offset ?? 0;
  let next = start;
  let size: number | undefined;
  let stopped = false;
  const hostile = (why: string) =>
    new PosdecomError(ErrorCode.SessionHostile, `ZVT read-file ${fileId}: ${why}`, { fileId, offset: next });
  const outcome = await engine.run({
    command: readFileCommand(fileId, start),
    timers: { maxSequenceMs: READ_FILE_BOUND_MS, ...options.timers },
    onStatusInformation: (m) => {
      const block = fileBlockOf(m);
      if (!block)
        throw new PosdecomError(
          ErrorCode.SessionMalformed,
          `ZVT read-file ${fileId}: a block without 2D{1D,1E,1F00,1C}`,
        );
      if (stopped) throw hostile('a block after the ECR stopped the transfer');
      if (block.fileId !== fileId) throw hostile(`a block of file ${block.fileId}`);
      if (size !== undefined && block.size !== size)
        throw hostile(`the file size changed from ${size} to ${block.size}`);
      if (options.probe && size === undefined) next = block.offset;
      size = block.size;
      if (block.offset !== next) throw hostile(`a block at ${block.offset}, expected ${next}`);
      if (block.offset + block.data.length > block.size) {
        throw hostile(
          `a block ending at ${block.offset + block.data.length}, past the announced size ${block.size}`,
        );
      }
      next += block.data.length;
      if (options.onBlock(block) === 'stop') stopped = true;
      return 'consumed';
    },
    answer: () => (stopped ? { nack: RESULT.stoppedByEcr } : 'ack'),
  });
  switch (outcome.kind) {
    case 'refused':
      return outcome;
    case 'accepted':
      throw hostile('the terminal ended Read File at its acknowledgement');
    case 'aborted':
      if (stopped) return { kind: 'stopped', size: size ?? 0, nextOffset: next, evidence: outcome.evidence };
      return {
        kind: 'aborted',
        resultCode: outcome.resultCode,
        resultText: outcome.resultText,
        evidence: outcome.evidence,
      };
    case 'completed': {
      if (stopped) return { kind: 'stopped', size: size ?? 0, nextOffset: next, evidence: outcome.evidence };
      const total = size ?? start;
      if (next !== total) throw hostile(`the transfer ended at ${next} of ${total} bytes`);
      return { kind: 'complete', size: total, bytesRead: next - start, evidence: outcome.evidence };
    }
  }
}

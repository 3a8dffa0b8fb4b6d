import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { abort, fileBlock } from '../protocol/zvt/codec/commands.js';
import { readFileSequence } from '../protocol/zvt/ecr/read-file.js';
import { SequenceEngine } from '../protocol/zvt/ecr/sequence.js';
import { scriptedPts } from './helpers/zvt-scripted-pt.js';

/**
 * A listing asks a file from the size it knows (TLV 1E) only to learn its size now. A terminal
 * that does not take TLV 1E and starts from byte 0 still tells the size: a probe takes it (being
 * liberal where only the size matters), a read of content does not (its bytes must be the ones
 * asked for).
 */
const scripted = scriptedPts();

async function terminalIgnoringOffset(probe: boolean) {
  const { ecr, pt } = scripted('serial');
  const engine = new SequenceEngine(ecr, { timers: { t3Ms: 1000, t4Ms: 1000 } });
  const terminal = (async () => {
    await pt.accept();
    const answer = await pt.exchange(fileBlock(1, 0, 5000, Buffer.alloc(1024, 0x41)));
    await pt.exchange(abort(0x6c));
    return answer;
  })();
  const result = readFileSequence(engine, 1, { offset: 4000, probe, onBlock: () => 'stop' });
  return { result, terminal };
}

describe('a Read File from a known size', () => {
  it('as a probe, takes the size from a block that starts elsewhere, and stops the transfer', async () => {
    const { result, terminal } = await terminalIgnoringOffset(true);
    expect(await result).toMatchObject({ kind: 'stopped', size: 5000 });
    expect((await terminal).toString('hex')).toBe('846c00');
  });

  it('as a read of content, refuses a block that starts elsewhere', async () => {
    const { result, terminal } = await terminalIgnoringOffset(false);
    // The ECR ends the exchange: the scripted terminal's wait for an answer is cut with the link.
    terminal.catch(() => undefined);
    await expect(result).rejects.toMatchObject({
      code: ErrorCode.SessionHostile,
      message: expect.stringMatching(/a block at 0, expected 4000/) as string,
    });
  });
});

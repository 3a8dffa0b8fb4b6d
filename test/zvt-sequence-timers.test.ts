import { describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import {
  ACK,
  completion,
  diagnosis,
  intermediateStatus,
  logOff,
  nack,
  printLine,
} from '../protocol/zvt/codec/commands.js';
import { SequenceEngine } from '../protocol/zvt/ecr/sequence.js';
import type { SequenceTimers } from '../protocol/zvt/ecr/options.js';
import type { ApduLink } from '../protocol/zvt/link/apdu-link.js';
import { scriptedPts, sleep } from './helpers/zvt-scripted-pt.js';

const scripted = scriptedPts();

function engine(ecr: ApduLink, timers: Partial<SequenceTimers>) {
  return new SequenceEngine(ecr, { timers: { t3Ms: 1000, t4Ms: 1000, timeoutByteUnitMs: 100, ...timers } });
}

async function failure(p: Promise<unknown>): Promise<PosdecomError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PosdecomError) return err;
    throw err;
  }
  throw new Error('expected the sequence to fail');
}

for (const framing of ['serial', 'tcp'] as const) {
  describe(`ZVT sequence timers over ${framing}`, () => {
    it('restarts T4 with every intermediate status, so a long job with a steady heartbeat completes', async () => {
      const { ecr, pt } = scripted(framing);
      const run = engine(ecr, { t4Ms: 450 }).run({ command: diagnosis() });
      await pt.accept();
      for (let i = 0; i < 4; i++) {
        await sleep(200);
        expect(await pt.exchange(intermediateStatus(0x17))).toEqual(ACK);
      }
      await sleep(200);
      await pt.exchange(completion());
      const outcome = await run;
      expect(outcome.kind).toBe('completed');
      expect(outcome.evidence.intermediate).toHaveLength(4);
    });

    it('gives up after T4 of silence while the terminal holds master rights', async () => {
      const { ecr, pt } = scripted(framing);
      const started = performance.now();
      const run = failure(engine(ecr, { t4Ms: 150 }).run({ command: diagnosis() }));
      await pt.accept();
      const err = await run;
      expect(err.code).toBe(ErrorCode.SessionTimeout);
      expect(err.message).toMatch(/T4/);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('takes a 04 FF timeout byte as the next wait in minutes, even beyond T4', async () => {
      const { ecr, pt } = scripted(framing);
      const run = engine(ecr, { t4Ms: 150, timeoutByteUnitMs: 350 }).run({ command: diagnosis() });
      await pt.accept();
      await pt.exchange(intermediateStatus(0x17, 2));
      await sleep(400);
      await pt.exchange(completion());
      const outcome = await run;
      expect(outcome.kind).toBe('completed');
      expect(outcome.evidence.intermediate).toEqual([
        { status: 0x17, text: 'please wait', timeoutMinutes: 2 },
      ]);
    });

    it('takes a 04 FF timeout byte shorter than T4 at its word', async () => {
      const { ecr, pt } = scripted(framing);
      // T4 is longer than the test's own timeout: only the timeout byte can end this sequence in time.
      const run = failure(
        engine(ecr, { t4Ms: 600_000, timeoutByteUnitMs: 50 }).run({ command: diagnosis() }),
      );
      await pt.accept();
      await pt.exchange(intermediateStatus(0x17, 1));
      const err = await run;
      expect(err.code).toBe(ErrorCode.SessionTimeout);
    });

    it('does not shorten T4 for a timeout byte of zero or none', async () => {
      const { ecr, pt } = scripted(framing);
      const run = engine(ecr, { t4Ms: 600, timeoutByteUnitMs: 1 }).run({ command: diagnosis() });
      await pt.accept();
      await pt.exchange(intermediateStatus(0x17, 0));
      await sleep(200);
      await pt.exchange(intermediateStatus(0x17));
      await sleep(200);
      await pt.exchange(completion());
      expect((await run).kind).toBe('completed');
    });

    it('fails with "terminal silent" when neither 80 00 nor 84 xx comes within T3', async () => {
      const { ecr } = scripted(framing);
      const err = await failure(engine(ecr, { t3Ms: 100 }).run({ command: diagnosis() }));
      expect(err.code).toBe(ErrorCode.SessionTerminalSilent);
    });

    it('waits after 84 9C and sends the command again', async () => {
      const { ecr, pt } = scripted(framing);
      const repeated = engine(ecr, { pleaseWaitMs: 60 }).run({ command: diagnosis() });
      await pt.next();
      await pt.send(nack(0x9c));
      expect(await pt.next()).toEqual(diagnosis());
      await pt.send(ACK);
      await pt.exchange(completion());
      expect((await repeated).kind).toBe('completed');
      expect(pt.received.filter((a) => a.equals(diagnosis()))).toHaveLength(2);
    });

    it('takes an 80 00 that comes during the wait after 84 9C, without sending the command again', async () => {
      const { ecr, pt } = scripted(framing);
      // The wait is far longer than the test, so a loaded machine cannot make the repeat come first.
      const later = engine(ecr, { pleaseWaitMs: 30_000, t3Ms: 30_000 }).run({ command: diagnosis() });
      await pt.next();
      await pt.send(nack(0x9c));
      await pt.send(ACK);
      await pt.exchange(completion());
      expect((await later).kind).toBe('completed');
      expect(pt.received.filter((a) => a.equals(diagnosis()))).toHaveLength(1);
    });

    it('stops a terminal that floods intermediate statuses, with a clear error', async () => {
      const { ecr, pt } = scripted(framing);
      const run = failure(engine(ecr, { maxIntermediate: 20 }).run({ command: diagnosis() }));
      await pt.accept();
      let sent = 0;
      const flood = (async () => {
        for (;;) {
          const answer = pt.next();
          await pt.send(intermediateStatus(0x17));
          sent++;
          if ((await Promise.race([answer, sleep(300).then(() => 'silence')])) === 'silence') return;
        }
      })();
      const err = await run;
      await flood;
      expect(err.code).toBe(ErrorCode.SessionHostile);
      expect(err.message).toMatch(/more than 20 intermediate statuses/);
      expect(sent).toBe(21);
    });

    it('stops a terminal that prints forever, and one that keeps a sequence alive past its bound', async () => {
      const { ecr, pt } = scripted(framing);
      const printing = failure(engine(ecr, { maxApdus: 30 }).run({ command: diagnosis() }));
      await pt.accept();
      for (let i = 0; i < 30; i++) await pt.exchange(printLine(0, `line ${i}`));
      await pt.send(printLine(0, 'one too many'));
      expect((await printing).code).toBe(ErrorCode.SessionHostile);

      const { ecr: ecr2, pt: pt2 } = scripted(framing);
      const alive = failure(engine(ecr2, { maxSequenceMs: 400, t4Ms: 200 }).run({ command: diagnosis() }));
      await pt2.accept();
      let stop = false;
      void alive.then(() => (stop = true));
      while (!stop) {
        await pt2.send(intermediateStatus(0x17));
        await sleep(50);
      }
      const err = await alive;
      expect(err.code).toBe(ErrorCode.SessionTimeout);
      expect(err.message).toMatch(/still running after 400 ms/);
    });

    it('refuses to read anything but 80 00 or 84 xx as the answer to a command', async () => {
      const { ecr, pt } = scripted(framing);
      const run = failure(engine(ecr, {}).run({ command: diagnosis() }));
      await pt.next();
      await pt.send(intermediateStatus(0x17));
      expect((await run).code).toBe(ErrorCode.SessionUnexpectedReply);
    });

    it("ends Log-Off at the terminal's 80 00", async () => {
      const { ecr, pt } = scripted(framing);
      const run = engine(ecr, {}).run({ command: logOff(), ackOnly: true });
      await pt.accept();
      expect((await run).kind).toBe('accepted');
    });

    it('fails with a transport error when the link goes away mid-sequence', async () => {
      const { ecr, pt } = scripted(framing);
      const run = failure(engine(ecr, {}).run({ command: diagnosis() }));
      await pt.accept();
      await pt.link.close();
      expect((await run).code).toBe(ErrorCode.TransportDisconnected);
    });
  });
}

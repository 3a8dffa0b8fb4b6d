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
import { ManualClock } from './helpers/manual-clock.js';
import { scriptedPts } from './helpers/zvt-scripted-pt.js';

const scripted = scriptedPts();

/**
 * The engine's timers run on a clock the test moves, so "200 ms later" is exact and a loaded
 * machine cannot make T4 expire between two scripted steps.
 */
function engine(ecr: ApduLink, timers: Partial<SequenceTimers>, clock = new ManualClock()) {
  return new SequenceEngine(ecr, {
    timers: { t3Ms: 1000, t4Ms: 1000, timeoutByteUnitMs: 100, ...timers },
    clock,
  });
}

/** Whether a promise has settled yet (checked after the clock settled the event loop). */
function watch(p: Promise<unknown>): () => boolean {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
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
      const clock = new ManualClock();
      const run = engine(ecr, { t4Ms: 450 }, clock).run({ command: diagnosis() });
      const ended = watch(run);
      await pt.accept();
      for (let i = 0; i < 4; i++) {
        await clock.advance(200);
        expect(ended()).toBe(false);
        expect(await pt.exchange(intermediateStatus(0x17))).toEqual(ACK);
      }
      await clock.advance(200);
      expect(ended()).toBe(false);
      expect(clock.now()).toBe(1000);
      await pt.exchange(completion());
      const outcome = await run;
      expect(outcome.kind).toBe('completed');
      expect(outcome.evidence.intermediate).toHaveLength(4);
    });

    it('gives up after T4 of silence while the terminal holds master rights', async () => {
      const { ecr, pt } = scripted(framing);
      const clock = new ManualClock();
      const run = failure(engine(ecr, { t4Ms: 150 }, clock).run({ command: diagnosis() }));
      const ended = watch(run);
      await pt.accept();
      await clock.advance(149);
      expect(ended()).toBe(false);
      const err = await clock.runUntil(run);
      expect(err.code).toBe(ErrorCode.SessionTimeout);
      expect(err.message).toMatch(/T4/);
      expect(clock.now()).toBe(150);
    });

    it('takes a 04 FF timeout byte as the next wait in minutes, even beyond T4', async () => {
      const { ecr, pt } = scripted(framing);
      const clock = new ManualClock();
      const run = engine(ecr, { t4Ms: 150, timeoutByteUnitMs: 350 }, clock).run({ command: diagnosis() });
      await pt.accept();
      const ended = watch(run);
      await pt.exchange(intermediateStatus(0x17, 2));
      await clock.advance(699);
      expect(ended()).toBe(false);
      await pt.exchange(completion());
      const outcome = await run;
      expect(outcome.kind).toBe('completed');
      expect(outcome.evidence.intermediate).toEqual([
        { status: 0x17, text: 'please wait', timeoutMinutes: 2 },
      ]);
    });

    it('takes a 04 FF timeout byte shorter than T4 at its word', async () => {
      const { ecr, pt } = scripted(framing);
      // T4 is ten minutes: only the timeout byte can end this sequence after 50 ms.
      const clock = new ManualClock();
      const run = failure(
        engine(ecr, { t4Ms: 600_000, timeoutByteUnitMs: 50 }, clock).run({ command: diagnosis() }),
      );
      await pt.accept();
      await pt.exchange(intermediateStatus(0x17, 1));
      const err = await clock.runUntil(run);
      expect(err.code).toBe(ErrorCode.SessionTimeout);
      expect(clock.now()).toBe(50);
    });

    it('does not shorten T4 for a timeout byte of zero or none', async () => {
      const { ecr, pt } = scripted(framing);
      const clock = new ManualClock();
      const run = engine(ecr, { t4Ms: 600, timeoutByteUnitMs: 1 }, clock).run({ command: diagnosis() });
      await pt.accept();
      const ended = watch(run);
      await pt.exchange(intermediateStatus(0x17, 0));
      await clock.advance(599);
      expect(ended()).toBe(false);
      await pt.exchange(intermediateStatus(0x17));
      await clock.advance(599);
      expect(ended()).toBe(false);
      await pt.exchange(completion());
      expect((await run).kind).toBe('completed');
    });

    it('fails with "terminal silent" when neither 80 00 nor 84 xx comes within T3', async () => {
      const { ecr } = scripted(framing);
      const clock = new ManualClock();
      const err = await clock.runUntil(
        failure(engine(ecr, { t3Ms: 100 }, clock).run({ command: diagnosis() })),
      );
      expect(err.code).toBe(ErrorCode.SessionTerminalSilent);
      expect(clock.now()).toBe(100);
    });

    it('waits after 84 9C and sends the command again', async () => {
      const { ecr, pt } = scripted(framing);
      const clock = new ManualClock();
      const repeated = engine(ecr, { pleaseWaitMs: 60 }, clock).run({ command: diagnosis() });
      await pt.next();
      await pt.send(nack(0x9c));
      const again = pt.next();
      await clock.advance(59);
      expect(watch(again)()).toBe(false);
      expect(await clock.runUntil(again)).toEqual(diagnosis());
      expect(clock.now()).toBe(60);
      await pt.send(ACK);
      await pt.exchange(completion());
      expect((await repeated).kind).toBe('completed');
      expect(pt.received.filter((a) => a.equals(diagnosis()))).toHaveLength(2);
    });

    it('takes an 80 00 that comes during the wait after 84 9C, without sending the command again', async () => {
      const { ecr, pt } = scripted(framing);
      // The engine's clock stands still, so the repeat cannot come first however loaded the machine.
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
          // The engine either answers or gives up; it never just goes quiet.
          if ((await Promise.race([answer, run.then(() => 'given up')])) === 'given up') return;
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
      const clock = new ManualClock();
      const alive = failure(
        engine(ecr2, { maxSequenceMs: 400, t4Ms: 200 }, clock).run({ command: diagnosis() }),
      );
      const stopped = watch(alive);
      await pt2.accept();
      while (!stopped()) {
        await pt2.send(intermediateStatus(0x17));
        await clock.advance(50);
      }
      expect(clock.now()).toBe(400);
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

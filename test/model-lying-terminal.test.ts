import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES, SimulatedTerminal, type GroundTruth } from '../protocol/line/terminal/index.js';
import type { StepRecord, WipeCertificate } from '../wipe/certificate/model.js';
import { HostileProxy } from './helpers/hostile-proxy.js';
import { runJob, testPki } from './helpers/job-harness.js';
import { LIE_KINDS, LIES, liar, watcher, type Lie } from './helpers/lying-terminal.js';

/**
 * Model-based test (issue 11): the real workflow (runDecommission) against a simulated terminal
 * that lies in one answer of the job, any answer, any of five ways (helpers/lying-terminal.ts),
 * over many seeds (pinned with CI=true, test/setup-fast-check.ts). Whatever the lie:
 *
 *   no step is PASS whose effect did not happen: the simulator's real state says what did
 *   no ERASE before a verified backup of the bytes the store holds at that moment
 *   no SETTLE while payments wait in the SAF queue, no UNBIND before the batch is settled and
 *   the queue forwarded
 *   the job ends with a documented exit code (never an internal error), and a job that sent
 *   an ERASE ends with a certificate
 */

/** POSDECOM_MODEL_RUNS=N runs more (or fewer) jobs than the 30 of every test run. */
const RUNS = Number(process.env.POSDECOM_MODEL_RUNS ?? 30);
const EXIT_CODES = [0, 3, 4, 6, 7, 8];

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

/** Most requests are sent once or a few times: the first answers are where most lies can land. */
const nth = fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 }));
const lieArb: fc.Arbitrary<Lie> = fc.oneof(
  ...LIE_KINDS.map((kind) =>
    fc.record({ kind: fc.constant(kind), type: fc.constantFrom(...LIES[kind]), nth }),
  ),
);

/** Each PASS against the terminal's real state; the steps whose effect did not happen. */
function passesWithoutEffect(steps: StepRecord[], truth: GroundTruth): string[] {
  const wrong: string[] = [];
  for (const s of steps.filter((x) => x.result === 'PASS')) {
    const label = s.target ? `${s.step} ${s.target}` : s.step;
    const held =
      s.step === 'disable-acceptance'
        ? truth.channels[s.target!] === false
        : s.step === 'network-down'
          ? Object.values(truth.links).every((up) => !up)
          : s.step === 'forward-saf'
            ? truth.safQueued === 0
            : s.step === 'settle'
              ? !truth.batchOpen
              : s.step === 'erase' || s.step === 'erase-verification'
                ? truth.stores[s.target!]?.erasedBytes === true
                : s.step === 'key-zeroization'
                  ? truth.keysLoaded.every((loaded) => !loaded)
                  : s.step === 'unbind'
                    ? !truth.bound
                    : s.step === 'finalize'
                      ? truth.decommissioned
                      : true;
    if (!held) wrong.push(label);
  }
  return wrong;
}

/** What the terminal still holds or does that a decommissioned one must not. */
function unfinished(truth: GroundTruth): string[] {
  return [
    ...Object.entries(truth.channels).flatMap(([c, on]) => (on ? [`${c} on`] : [])),
    ...Object.entries(truth.links).flatMap(([l, up]) => (up ? [`${l} up`] : [])),
    ...(truth.batchOpen ? ['batch open'] : []),
    ...(truth.safQueued > 0 ? [`${truth.safQueued} payments in the SAF queue`] : []),
    ...Object.entries(truth.stores).flatMap(([name, s]) => (s.erasedBytes ? [] : [`${name} not erased`])),
    ...(truth.keysLoaded.some(Boolean) ? ['keys loaded'] : []),
    ...(truth.bound ? ['bound'] : []),
    ...(truth.decommissioned ? [] : ['not decommissioned']),
  ];
}

describe('a terminal that lies in one answer, any answer, any way', () => {
  it(
    `never gets a PASS it did not earn, an erase before a backup or an unbind before settlement (${RUNS} runs)`,
    async () => {
      root ??= await mkdtemp(join(tmpdir(), 'posdecom-model-'));
      let lies = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...MODEL_NAMES),
          fc.integer({ min: 1, max: 10_000 }),
          lieArb,
          async (model, seed, lie) => {
            const dir = await mkdtemp(join(root!, 'job-'));
            const terminal = await SimulatedTerminal.create({
              model,
              seed,
              storeScale: 0.125,
              eraseBytesPerSecond: 256 * 1024 * 1024,
            });
            const told = liar(lie);
            const watch = watcher(dir);
            try {
              const run = await runJob({ peer: new HostileProxy(terminal, [watch, told]), dir });
              if (told.told) lies++;
              const context = `${model} seed ${seed}, lie ${JSON.stringify(lie)} (told: ${told.told}), exit ${run.exitCode}\n${run.output}${run.errors}`;
              expect(EXIT_CODES, context).toContain(run.exitCode);
              expect(watch.breaches, context).toEqual([]);
              const sentErase = terminal.storeNames.some((s) => terminal.eraseCount(s) > 0);
              const certificate = join(dir, 'certificate.json');
              if (sentErase) expect(existsSync(certificate), `no certificate\n${context}`).toBe(true);
              if (!existsSync(certificate)) return;
              const cert = JSON.parse(readFileSync(certificate, 'utf8')) as WipeCertificate;
              expect(passesWithoutEffect(cert.steps, terminal.truth()), context).toEqual([]);
              if (cert.overall.result !== 'PASS') return;
              // An overall PASS speaks for the whole terminal, stores the answers may have hidden too.
              expect(run.exitCode, context).toBe(0);
              expect(unfinished(terminal.truth()), context).toEqual([]);
            } finally {
              await terminal.close();
              await rm(dir, { recursive: true, force: true });
            }
          },
        ),
        {
          numRuns: RUNS,
          // Always run, whatever the seeds draw: a STATUS that hides the payments waiting in the
          // SAF queue (its fourth answer comes after FORWARD) must not lead to a SETTLE with
          // payments left. The pinned draw never picked this lie; without it the test passed on
          // the workflow before the money-first cross-check (0621ea2).
          examples: MODEL_NAMES.map((m): [string, number, Lie] => [
            m,
            7,
            { kind: 'shrink', type: 'STATUS', nth: 4 },
          ]),
        },
      );
      // Not vacuous: most runs did meet the answer their lie was waiting for.
      expect(lies).toBeGreaterThanOrEqual(RUNS / 2);
    },
    30_000 + RUNS * 5_000,
  );
});

import type { StepName } from '../../wipe/certificate/model.js';
import { ExitCode } from '../exit-codes.js';
import type { Journal } from '../journal.js';
import { record } from './steps/records.js';

/**
 * The step a job was in when it stopped on an error: its intent is journaled, its result never
 * was. It gets a result now, UNKNOWN (its end was not measured), so the certificate says exactly
 * that instead of leaving the step out; an erase takes its verification with it. The exit code
 * is the one that step ends with when it fails (README: exit codes).
 */
const STEP_EXIT: Record<string, number> = {
  inventory: ExitCode.Precondition,
  'disable-acceptance': ExitCode.Precondition,
  settle: ExitCode.Precondition,
  'network-down': ExitCode.Precondition,
  backup: ExitCode.BackupFailed,
  erase: ExitCode.EraseFailed,
  'key-zeroization': ExitCode.EraseFailed,
  unbind: ExitCode.EraseFailed,
  finalize: ExitCode.EraseFailed,
};

export function unfinishedStep(
  journal: Journal,
  why: string,
): { step: string; exitCode: number } | undefined {
  const entries = journal.entries;
  const last = [...entries].reverse().find((e) => e.type === 'intent' || e.type === 'result');
  if (!last || last.type !== 'intent' || !last.step || !(last.step in STEP_EXIT)) return undefined;
  const step = last.step as StepName;
  const target = last.target;
  const note = `the job stopped before this step's end could be measured: ${why}`;
  const at = new Date(last.at);
  const evidence = { attempted: true, ended: false, stoppedBy: why };
  const records = [record(step, at, 'UNKNOWN', evidence, { ...(target ? { target } : {}), note })];
  if (step === 'erase' && target) {
    records.push(
      record('erase-verification', at, 'UNKNOWN', { ...evidence, readBack: false }, { target, note }),
    );
  }
  journal.append('result', {
    step,
    ...(target ? { target } : {}),
    data: { outcome: 'unknown', records },
  });
  return { step, exitCode: STEP_EXIT[step]! };
}

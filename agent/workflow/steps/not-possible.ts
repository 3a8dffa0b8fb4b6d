import type { Result, StepRecord } from '../../../wipe/certificate/model.js';
import type { JobContext, StepOutcome } from '../context.js';
import type { Action } from '../machine.js';
import { record } from './records.js';

/**
 * A step the terminal's protocol has no command for (ZVT: switching acceptance off, taking
 * networks down, zeroizing keys; a store the terminal does not give out). Nothing is sent to the
 * terminal; the step is recorded as not measured, with why, and the job goes on. The technician
 * may have done it by hand: `--attest` turns such a record into ATTESTED in the certificate,
 * never into PASS.
 */

/**
 * The verdict of a step the tool could not measure. It lives here, once: when the certificate
 * model gains ATTESTED (it is applied from the journaled attestations when the certificate is
 * built), this stays UNKNOWN, and a model with another word for "not measured" changes this line.
 */
export const NOT_MEASURED: Result = 'UNKNOWN';

export function notPossible(ctx: JobContext, a: Extract<Action, { do: 'not-possible' }>): StepOutcome {
  const startedAt = new Date();
  const protocol = ctx.driver().protocol;
  const note = `not possible over ${protocol}: ${a.reason}; ${NOT_MEASURED} unless attested`;
  const evidence = { attempted: false, protocol, reason: a.reason };
  const one = (step: StepRecord['step'], target?: string) =>
    record(step, startedAt, NOT_MEASURED, evidence, { ...(target ? { target } : {}), note });
  let records: StepRecord[];
  if (a.step === 'disable-acceptance') {
    const channels = ctx.inventory().channels;
    records = channels.map((ch) => one('disable-acceptance', ch));
    ctx.reporter.warn(`acceptance (${channels.join(', ')}): ${note}`);
  } else if (a.step === 'erase') {
    records = [one('erase', a.target), one('erase-verification', a.target)];
    ctx.reporter.warn(`erase ${a.target ?? ''}: ${note}`);
  } else {
    records = [one(a.step)];
    ctx.reporter.warn(`${a.step}: ${note}`);
  }
  return { outcome: 'unknown', records };
}

import { ErrorCode, PosdecomError } from '../../../protocol/errors.js';
import type { BackupSet } from '../../../wipe/backup/backup-set.js';
import { ExitCode } from '../../exit-codes.js';
import type { JobContext, StepOutcome } from '../context.js';
import type { Action, JobFacts } from '../machine.js';
import { record } from './records.js';
import { backupStep, omitStep } from './backup-twice.js';
import { eraseOne } from './erase.js';
import { finalize, unbind, zeroizeKeys } from './final.js';
import { forwardSaf } from './forward.js';
import { settle } from './settle.js';
import { confirmTerminal } from './confirm.js';
import { deleteOne } from './delete.js';
import { notPossible } from './not-possible.js';
import { disableAcceptance, networkDown } from './switches.js';

/** From the state machine's action to the step that carries it out, and back to an exit code. */
export function isDestructive(a: Action): boolean {
  return a.do !== 'inventory' && a.do !== 'done';
}

export function journalKey(a: Action): { step: string; target?: string } {
  switch (a.do) {
    case 'backup':
    case 'erase':
      return { step: a.do, target: a.store };
    case 'omit-backup':
      return { step: 'backup', target: a.store };
    case 'zeroize':
      return { step: 'key-zeroization' };
    case 'skip':
    case 'not-possible':
      return a.target ? { step: a.step, target: a.target } : { step: a.step };
    default:
      return { step: a.do };
  }
}

export async function perform(ctx: JobContext, a: Action, set: BackupSet): Promise<StepOutcome> {
  switch (a.do) {
    case 'disable-acceptance':
      return disableAcceptance(ctx);
    case 'forward-saf':
      return forwardSaf(ctx);
    case 'settle':
      return settle(ctx);
    case 'network-down':
      return networkDown(ctx);
    case 'backup':
      return backupStep(ctx, set, a.store);
    case 'omit-backup':
      return omitStep(ctx, a.store, a.reason);
    case 'erase':
      return ctx.driver().capabilities.eraseBy === 'delete'
        ? deleteOne(ctx, a.store)
        : eraseOne(ctx, set, a.store);
    case 'zeroize':
      return zeroizeKeys(ctx);
    case 'unbind':
      return unbind(ctx);
    case 'finalize':
      return ctx.driver().capabilities.finalizeKind === 'confirm' ? confirmTerminal(ctx) : finalize(ctx);
    case 'not-possible':
      return notPossible(ctx, a);
    case 'skip': {
      const result = a.step === 'key-zeroization' ? 'UNKNOWN' : 'FAIL';
      const note = `not attempted: ${a.reason}`;
      ctx.reporter.warn(`${a.step}${a.target ? ` ${a.target}` : ''} ${note}`);
      const records = [
        record(
          a.step,
          new Date(),
          result,
          { attempted: false, reason: a.reason },
          { ...(a.target ? { target: a.target } : {}), note },
        ),
      ];
      if (a.step === 'erase' && a.target) {
        records.push(
          record(
            'erase-verification',
            new Date(),
            'FAIL',
            { attempted: false, reason: a.reason },
            { target: a.target, note },
          ),
        );
      }
      return { outcome: 'skipped', records };
    }
    default:
      throw new PosdecomError(ErrorCode.WorkflowPrecondition, `no step for ${a.do}`);
  }
}

/**
 * A finished job: PASS 0 (findings included: PCI findings, stores not backed up under
 * --card-data-backup omit), INCOMPLETE 11 (nothing failed), FAIL by what failed first.
 */
export function exitForFacts(f: JobFacts, overall: string): number {
  if (overall === 'PASS') return ExitCode.Success;
  if (overall === 'INCOMPLETE') return ExitCode.Incomplete;
  if (f.settle !== 'settled' || f.saf === 'unforwarded') return ExitCode.Precondition;
  if (f.stores.some((s) => s.backup !== 'verified' && s.backup !== 'omitted')) return ExitCode.BackupFailed;
  return ExitCode.EraseFailed;
}

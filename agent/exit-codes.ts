import { ErrorCode, isPosdecomError } from '../protocol/errors.js';

/** Documented in README.md; other tools depend on these numbers. */
export const ExitCode = {
  Success: 0,
  Internal: 1,
  Usage: 2,
  Transport: 3,
  Protocol: 4,
  AuthRefused: 5,
  Precondition: 6,
  BackupFailed: 7,
  EraseFailed: 8,
  Interrupted: 9,
  VerifyFailed: 10,
  /**
   * decommission: nothing failed, but a step is UNKNOWN or ATTESTED (certificate INCOMPLETE).
   * report: every certificate verified, none failed, some INCOMPLETE.
   */
  Incomplete: 11,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(error: unknown): ExitCode {
  if (!isPosdecomError(error)) return ExitCode.Internal;
  const c = error.code;
  if (c === ErrorCode.TerminalAuthFailed || c === ErrorCode.TerminalAuthLocked) return ExitCode.AuthRefused;
  if (c === ErrorCode.WorkflowInterrupted) return ExitCode.Interrupted;
  if (c === ErrorCode.WorkflowEraseFailed) return ExitCode.EraseFailed;
  // A key that will not open (wrong passphrase, wrong file) is the user's input, not a verification.
  if (c === ErrorCode.KeyUnusable) return ExitCode.Usage;
  // A silent terminal is, to the technician, a link problem first: cable, port or power.
  if ((c >= 100 && c < 200) || c === ErrorCode.SessionTerminalSilent || c === ErrorCode.SessionTimeout) {
    return ExitCode.Transport;
  }
  if (c >= 200 && c < 500) return ExitCode.Protocol;
  if (c >= 500 && c < 600) return ExitCode.Precondition;
  if (c >= 600 && c < 700) return ExitCode.BackupFailed;
  if (c >= 700 && c < 800) return ExitCode.VerifyFailed;
  if (c >= 800 && c < 900) return ExitCode.Usage;
  return ExitCode.Internal;
}

/** Several jobs at once: the exit code of the worst outcome (data possibly left behind is worst). */
const SEVERITY: number[] = [
  ExitCode.Success,
  ExitCode.Incomplete,
  ExitCode.Interrupted,
  ExitCode.Usage,
  ExitCode.Precondition,
  ExitCode.AuthRefused,
  ExitCode.Transport,
  ExitCode.Protocol,
  ExitCode.VerifyFailed,
  ExitCode.BackupFailed,
  ExitCode.EraseFailed,
  ExitCode.Internal,
];

export function worstExitCode(codes: number[]): number {
  return codes.reduce(
    (worst, c) => (SEVERITY.indexOf(c) > SEVERITY.indexOf(worst) ? c : worst),
    ExitCode.Success as number,
  );
}

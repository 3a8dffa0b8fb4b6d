import { describeError } from '../agent/errors-text.js';
import { exitCodeFor } from '../agent/exit-codes.js';

/**
 * What the library throws when an input is unusable before any work starts (a key, a work
 * order, a CA file, a simulator option): the CLI's one-line message and the exit code the CLI
 * would have ended with (README: Exit codes).
 */
export class PosdecomFailure extends Error {
  override readonly name = 'PosdecomFailure';
  constructor(
    message: string,
    /** The CLI's exit code for the same failure. */
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Any error from inside as a PosdecomFailure (internal error classes never reach a caller). */
export function asFailure(err: unknown): PosdecomFailure {
  if (err instanceof PosdecomFailure) return err;
  return new PosdecomFailure(describeError(err), exitCodeFor(err));
}

/** Runs `work`, turning whatever it throws into a PosdecomFailure. */
export async function failingAs<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asFailure(err);
  }
}

import { isPosdecomError } from '../protocol/errors.js';

/** One line for the technician; the stack goes to the audit log, never to the screen. */
export function describeError(err: unknown): string {
  if (isPosdecomError(err)) return err.message;
  if (err instanceof Error) return `internal error: ${err.message.split('\n')[0]}`;
  return `internal error: ${String(err)}`;
}

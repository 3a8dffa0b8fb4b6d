import { ErrorCode, PosdecomError } from '../../errors.js';
import { ERROR_CODES, type ErrorReply } from '../messages.js';

/** A terminal's well-formed refusal (SPEC.md s.8) as the error the layers above act on. */
export function refusal(type: string, err: ErrorReply): PosdecomError {
  const context = { type, code: err.code, attemptsLeft: err.attemptsLeft, reasons: err.reasons };
  // SPEC.md s.3 (1.1): a code this version does not define is the terminal failing (INTERNAL).
  const known = (ERROR_CODES as readonly string[]).includes(err.code);
  const code = known ? err.code : `${err.code} (unknown code, taken as INTERNAL)`;
  const text = `terminal refused ${type}: ${code}${err.message ? ` (${err.message})` : ''}`;
  if (err.code === 'AUTH_FAILED') return new PosdecomError(ErrorCode.TerminalAuthFailed, text, context);
  if (err.code === 'AUTH_LOCKED') return new PosdecomError(ErrorCode.TerminalAuthLocked, text, context);
  if (err.code === 'PROTO_VERSION') return new PosdecomError(ErrorCode.SessionProtocolVersion, text, context);
  if (err.code === 'UNSUPPORTED' || err.code === 'UNKNOWN_TYPE') {
    return new PosdecomError(ErrorCode.TerminalUnsupported, text, context);
  }
  return new PosdecomError(ErrorCode.TerminalRefused, text, context);
}

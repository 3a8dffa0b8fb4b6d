import type { Frame } from '../frame.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { ErrorReply, MessageType } from '../messages.js';
import { errorShape, replyShapes } from '../replies.js';
import type { Reply } from './types.js';

export type Answer<T extends MessageType> =
  { ok: true; reply: Reply<T> } | { ok: false; refusal: ErrorReply };

/**
 * The frame that answers a `type` request, checked against the catalogue (SPEC.md s.8): the
 * reply it carries, or the terminal's well-formed refusal. Anything else is malformed.
 */
export function readReply<T extends MessageType>(type: T, frame: Frame): Answer<T> {
  const h = frame.header;
  if (h.ok === true) {
    const problem = replyShapes[type](h, '');
    if (problem) {
      throw new PosdecomError(
        ErrorCode.SessionMalformed,
        `malformed ${type} reply from the terminal: ${problem}`,
        {
          type,
        },
      );
    }
    const reply = h as unknown as Reply<T>;
    if (frame.data) reply.data = frame.data;
    return { ok: true, reply };
  }
  if (h.ok !== false || errorShape(h, '')) {
    throw new PosdecomError(ErrorCode.SessionMalformed, `malformed ${type} reply from the terminal`, {
      type,
    });
  }
  return { ok: false, refusal: h as unknown as ErrorReply };
}

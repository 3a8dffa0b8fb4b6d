import type { Frame } from '../frame.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { ErrorReply, MessageType } from '../messages.js';
import { errorShape, replyShapes } from '../replies.js';
import { keepKnown } from '../shape.js';
import type { Reply } from './types.js';

export type Answer<T extends MessageType> =
  { ok: true; reply: Reply<T>; dropped: number } | { ok: false; refusal: ErrorReply; dropped: number };

/**
 * The frame that answers a `type` request, checked against the catalogue (SPEC.md s.8): the
 * reply it carries, or the terminal's well-formed refusal. Anything else is malformed. Only the
 * fields the catalogue names are kept (s.3: unknown fields are ignored); `dropped` counts the
 * rest, so the layers above can say how much a terminal said that nobody asked for.
 */
export function readReply<T extends MessageType>(type: T, frame: Frame): Answer<T> {
  const { ok, ...fields } = frame.header;
  const dropped = { count: 0 };
  if (ok === true) {
    const problem = replyShapes[type](fields, '');
    if (problem) {
      throw new PosdecomError(
        ErrorCode.SessionMalformed,
        `malformed ${type} reply from the terminal: ${problem}`,
        {
          type,
        },
      );
    }
    const kept = keepKnown(replyShapes[type], fields, dropped) as Record<string, unknown>;
    const reply = { ok: true, ...kept } as unknown as Reply<T>;
    if (frame.data) reply.data = frame.data;
    return { ok: true, reply, dropped: dropped.count };
  }
  if (ok !== false || errorShape(fields, '')) {
    throw new PosdecomError(ErrorCode.SessionMalformed, `malformed ${type} reply from the terminal`, {
      type,
    });
  }
  const kept = keepKnown(errorShape, fields, dropped) as Record<string, unknown>;
  return { ok: false, refusal: { ok: false, ...kept } as unknown as ErrorReply, dropped: dropped.count };
}

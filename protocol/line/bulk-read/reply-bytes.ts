import { ErrorCode, PosdecomError } from '../../errors.js';
import { decodePayload, decompress, type PayloadEncoding } from '../payload.js';
import type { Reply } from '../session/session.js';

/**
 * The store bytes a READ reply carries, checked against the range asked for: a reply for another
 * range, with no bytes, or whose payload does not decode to what it declares is refused.
 */
export function replyBytes(
  reply: Reply<'READ'>,
  store: string,
  [offset, length]: [number, number],
  enc: PayloadEncoding,
): Buffer {
  if (reply.store !== store || reply.offset !== offset || reply.length > length) {
    throw new PosdecomError(
      ErrorCode.SessionHostile,
      `READ reply for ${offset}+${length} of ${store} names ${reply.offset}+${reply.length} of another range`,
    );
  }
  if (reply.length === 0) {
    throw new PosdecomError(
      ErrorCode.SessionHostile,
      `the terminal returned no bytes at offset ${offset} of ${store}, inside the size it reported`,
    );
  }
  const text = reply.data ?? Buffer.alloc(0);
  const decoded = decodePayload(text, enc);
  const bytes = decoded && reply.z === 'deflate' ? decompress(decoded, reply.length) : decoded;
  if (!bytes || bytes.length !== reply.length) {
    throw new PosdecomError(
      ErrorCode.SessionMalformed,
      `READ reply at offset ${offset} of ${store} does not decode to the ${reply.length} bytes it declares`,
    );
  }
  return bytes;
}

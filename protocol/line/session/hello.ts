import { ErrorCode, PosdecomError } from '../../errors.js';
import { PROTOCOL_VERSION, sessionVersion, type HelloReply, type ProtocolVersion } from '../messages.js';
import type { PayloadEncoding } from '../payload.js';
import type { SessionOptions } from './types.js';

/**
 * A HELLO answer must stay within what we offered (SPEC.md s.5.1); anything else is refused.
 * Returns the version the session speaks: the terminal's when it is older (1.0), ours when it
 * names a newer minor of the same major (a newer terminal speaks ours too, s.5.1).
 */
export function checkHelloReply(
  reply: HelloReply,
  options: SessionOptions,
  offerEnc: PayloadEncoding[],
): ProtocolVersion {
  const problems: string[] = [];
  const proto = sessionVersion(reply.proto, PROTOCOL_VERSION);
  if (!proto) problems.push(`protocol ${reply.proto}`);
  // SPEC.md s.2.2: never below 4096, whatever we offered.
  if (reply.maxLine > Math.max(options.maxLine, 4096))
    problems.push(`maxLine ${reply.maxLine} above our offer`);
  if (reply.window > options.window) problems.push(`window ${reply.window} above our offer`);
  if (!offerEnc.includes(reply.enc)) problems.push(`encoding ${reply.enc} was not offered`);
  if (!options.compression.includes(reply.z)) problems.push(`compression ${reply.z} was not offered`);
  if (problems.length > 0) {
    throw new PosdecomError(
      ErrorCode.SessionProtocolVersion,
      `terminal answered HELLO with ${problems.join(', ')}`,
    );
  }
  return proto!;
}

import type { SessionOptions } from '../../protocol/line/session/session.js';
import { sessionOptionsFrom, type PortArgs } from '../options.js';
import type { TranscriptHeader } from '../transcript/format.js';

/**
 * What replay takes from the transcript's `session`: only the request timeout, as the recording
 * command's --timeout set it (bounded as the flag is; HELLO's follows from it). Every limit that
 * protects the agent (flood, bad-frame and size limits, window, retries) stays the agent's own
 * default: a transcript is input, and one asking for looser limits is ignored and named in `ignored`.
 */
export function sessionFromHeader(h: Pick<TranscriptHeader, 'session'>): {
  session: Partial<SessionOptions>;
  ignored: string[];
} {
  const recorded = (h.session ?? {}) as Record<string, unknown>;
  const ignored = Object.keys(recorded).filter((k) => k !== 'requestTimeoutMs' && k !== 'helloTimeoutMs');
  const t = recorded.requestTimeoutMs;
  const session = typeof t === 'number' ? sessionOptionsFrom({ timeout: t } as PortArgs) : {};
  return { session, ignored };
}

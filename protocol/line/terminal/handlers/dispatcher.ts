import { DESTRUCTIVE, NEEDS_AUTH, SINCE_1_1, type MessageType } from '../../messages.js';
import { isAuthorized } from '../auth.js';
import { opId, Refusal } from './refusal.js';
import { identify, keys, read, status, stores } from './info.js';
import { erase, eraseReply, eraseStatus, verifyErase } from './erase.js';
import { channel, finalize, forward, network, settle, unbind, zeroize } from './change.js';
import { auth, authBegin, ping } from './session.js';
import type { Handler, HandlerContext, Reply } from './handler.js';

/**
 * Every request after HELLO passes the same gates, in this order, before its handler runs:
 *
 *   UNKNOWN_TYPE -> BUSY fault -> AUTH_REQUIRED -> recorded op? (s.7.5) -> handler -> record op
 *
 * A recorded op returns its recorded reply without executing; for ERASE the reply is the
 * job's state now, so an agent that lost the link mid-erase learns where it stands.
 */
const HANDLERS: Record<Exclude<MessageType, 'HELLO'>, Handler> = {
  IDENTIFY: identify,
  STATUS: status,
  AUTH_BEGIN: authBegin,
  AUTH: auth,
  CHANNEL: channel,
  SETTLE: settle,
  FORWARD: forward,
  NETWORK: network,
  STORES: stores,
  READ: read,
  ERASE: erase,
  ERASE_STATUS: eraseStatus,
  VERIFY_ERASE: verifyErase,
  KEYS: keys,
  ZEROIZE: zeroize,
  UNBIND: unbind,
  FINALIZE: finalize,
  PING: ping,
};

export function isKnownType(type: string): type is Exclude<MessageType, 'HELLO'> {
  return Object.hasOwn(HANDLERS, type);
}

/** Runs one request; `executed` is told when a handler ran to success (what stats() counts). */
export async function dispatch(
  type: string,
  ctx: HandlerContext,
  executed: (type: string) => void,
): Promise<Reply> {
  try {
    if (!isKnownType(type) || (ctx.session.proto === '1.0' && SINCE_1_1.has(type))) {
      throw new Refusal('UNKNOWN_TYPE', `no request type ${type} in protocol ${ctx.session.proto}`);
    }
    const retryAfterMs = ctx.device.faults.busy();
    if (retryAfterMs !== undefined) throw new Refusal('BUSY', 'terminal busy', { retryAfterMs });
    if (NEEDS_AUTH.has(type) && !isAuthorized(ctx.session)) {
      throw new Refusal('AUTH_REQUIRED', `${type} needs authorization (AUTH_BEGIN, AUTH)`);
    }
    if (!DESTRUCTIVE.has(type)) {
      const reply = await HANDLERS[type](ctx);
      executed(type);
      return reply;
    }
    const op = opId(ctx.header);
    const recorded = ctx.device.ops.get(op);
    if (recorded) {
      if (recorded.type !== type)
        throw new Refusal('BAD_REQUEST', `op '${op}' was used for ${recorded.type}`);
      const job = type === 'ERASE' ? ctx.device.jobs.get(op) : undefined;
      return job ? eraseReply(job) : { header: recorded.response };
    }
    return await ctx.device.asOneWrite(async () => {
      const reply = await HANDLERS[type](ctx);
      executed(type);
      ctx.device.recordOp(op, type, reply.header);
      return reply;
    });
  } catch (err) {
    if (err instanceof Refusal) return { header: err.reply() };
    // A bug in the simulator must not kill the link: answer as a terminal would (s.8).
    return {
      header: { ok: false, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) },
    };
  }
}

import { nibbles } from '../codec/encoding.js';
import { prefixField, type Message } from '../codec/message.js';
import { RESULT } from '../codec/result-codes.js';
import type { Conversation } from './conversation.js';
import type { ZvtDevice } from './device.js';

/** What a command handler works with: the terminal, this sequence's conversation, the command. */
export interface HandlerContext {
  device: ZvtDevice;
  conv: Conversation;
  m: Message;
}

export type Handler = (ctx: HandlerContext) => Promise<void>;

/**
 * The password check of commands that carry one. A wrong password is refused at once with the
 * negative acknowledgement 84 6B; `optional`: a command may leave the password out (Status Enquiry).
 */
export async function passwordAccepted(ctx: HandlerContext, optional = false): Promise<boolean> {
  const given = prefixField(ctx.m, 'password');
  if (!given && optional) return true;
  if (given && ctx.device.passwordMatches(nibbles(given))) return true;
  await ctx.conv.refuse(RESULT.wrongPassword);
  return false;
}

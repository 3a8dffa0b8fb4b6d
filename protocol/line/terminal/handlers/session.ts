import { randomBytes } from 'node:crypto';
import { ABSOLUTE_MAX_LINE } from '../../framer.js';
import { sessionVersion, SUPPORTED_VERSIONS, type Capabilities } from '../../messages.js';
import type { Compression, PayloadEncoding } from '../../payload.js';
import { beginAuth, verifyAuth } from '../auth.js';
import { DupCache } from './dup-cache.js';
import { num, Refusal, str, strings } from './refusal.js';
import { ok, type Handler, type Reply, type Session } from './handler.js';
import type { Device } from '../device.js';

/** The terminal's own limits (s.5.1): what it offers in every negotiation. */
export const TERMINAL_MAX_LINE = 65_536;
export const TERMINAL_WINDOW = 16;
/** s.2.2: negotiation never goes below this; a STORES reply alone can exceed 1024 bytes. */
export const MIN_NEGOTIATED_MAX_LINE = 4096;
const ENCODINGS: readonly PayloadEncoding[] = ['8bit', 'b64'];
const COMPRESSIONS: readonly Compression[] = ['deflate', 'none'];

function positiveInt(header: Record<string, unknown>, field: string): number {
  const v = num(header, field);
  if (!Number.isInteger(v) || v < 1)
    throw new Refusal('BAD_REQUEST', `field '${field}' must be a positive integer`);
  return v;
}

function firstSupported<T extends string>(offered: string[], supported: readonly T[], what: string): T {
  const pick = offered.find((o): o is T => (supported as readonly string[]).includes(o));
  if (!pick)
    throw new Refusal('UNSUPPORTED', `no common ${what}: this terminal speaks ${supported.join(', ')}`);
  return pick;
}

/** Hex as this terminal writes it: lower case, or upper case when its vendor chose so (s.2.1). */
export function hexOut(device: Device, hex: string): string {
  return device.options.upperCaseHex ? hex.toUpperCase() : hex;
}

export function capabilities(device: Device): Capabilities {
  const p = device.profile;
  return {
    channels: [...p.channels],
    links: [...p.links],
    stores: [...device.stores.keys()],
    erase: [...p.erase],
    keySlots: device.keys.count,
    battery: p.battery,
  };
}

/** HELLO (s.5.1): the reply, and the session it starts once the reply is on its way. */
export function hello(device: Device, header: Record<string, unknown>): { reply: Reply; session: Session } {
  const asked = str(header, 'proto', 16);
  // s.5.1: the session speaks the older of the agent's offer and the newest this terminal speaks.
  const proto = sessionVersion(asked, device.options.protocol);
  if (!proto) {
    throw new Refusal('PROTO_VERSION', `protocol ${asked} is not spoken here`, {
      supported: SUPPORTED_VERSIONS.filter((v) => v <= device.options.protocol),
    });
  }
  if (header.agent !== undefined) str(header, 'agent');
  const offered = Math.min(positiveInt(header, 'maxLine'), TERMINAL_MAX_LINE);
  const maxLine = Math.min(ABSOLUTE_MAX_LINE, Math.max(MIN_NEGOTIATED_MAX_LINE, offered));
  const window = Math.min(positiveInt(header, 'window'), TERMINAL_WINDOW);
  const enc = firstSupported(strings(header, 'enc'), ENCODINGS, 'payload encoding');
  const z = firstSupported(strings(header, 'z'), COMPRESSIONS, 'compression');
  const session: Session = {
    proto,
    id: hexOut(device, randomBytes(8).toString('hex')),
    maxLine,
    window,
    enc,
    z,
    dup: new DupCache(),
    nonces: new Map(),
    authorizedUntil: 0,
  };
  const reply = ok({
    proto,
    session: session.id,
    maxLine,
    window,
    enc,
    z,
    caps: capabilities(device),
  });
  return { reply, session };
}

export const authBegin: Handler = ({ device, session }) => ok(beginAuth(device, session));

export const auth: Handler = ({ device, session, header }) => {
  const nonce = str(header, 'nonce', 64);
  const mac = str(header, 'mac', 128);
  return ok({ expiresInMs: verifyAuth(device, session, nonce, mac) });
};

export const ping: Handler = () => ok();

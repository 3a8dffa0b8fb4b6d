import type { MessageType } from './messages.js';
import { CHANNELS, ERASE_METHODS, LINK_KINDS, STORE_KINDS, STORE_MEDIA } from '../domain.js';
import type { Status } from '../domain.js';
import { arr, bool, int, literal, nullable, obj, record, str, type Check } from './shape.js';

/**
 * What each reply must look like before the agent trusts a field of it (SPEC.md s.6). Hex
 * values other than seq and crc may come in either case (s.3, 1.1); the driver lower-cases
 * digests before comparing them, and uses nonce and session exactly as sent.
 */
const HEX64 = /^[0-9a-fA-F]{64}$/;
const OP = /^[A-Za-z0-9._:-]{1,64}$/;
/** Reserved in every directory on Windows, with or without an extension. */
const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$|clock\$)(\..*)?$/i;
/**
 * Store names are never used as file names (s.9), but a name that can only be meant as a path
 * (separators, `..`, a leading dot, a drive colon, a device name) is no store name: the job stops
 * rather than carry it into the journal, the manifest and the certificate.
 */
const STORE_NAME: Check = (v, p) => {
  const problem = str(128)(v, p);
  if (problem) return problem;
  const name = v as string;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..') || DEVICE_NAME.test(name)) {
    return `${p} is not a plain store name`;
  }
  return undefined;
};
const MAX_SIZE = 2 ** 40;
const money = obj({ currency: str(3, /^[A-Z]{3}$/), minor: int(-(2 ** 50), 2 ** 50) });
const queue = obj({ count: int(0, 10_000_000), totals: arr(money, 16) });
const channelName = /^[a-z][a-z0-9-]{0,23}$/;

const caps = obj({
  channels: arr(literal(...CHANNELS), 8),
  links: arr(literal(...LINK_KINDS), 8),
  stores: arr(STORE_NAME, 64),
  erase: arr(literal(...ERASE_METHODS), 8),
  keySlots: int(0, 64),
  battery: bool,
});

const storeInfo = obj(
  {
    name: STORE_NAME,
    kind: literal(...STORE_KINDS),
    size: int(0, MAX_SIZE),
    records: int(0, MAX_SIZE),
    sha256: str(64, HEX64),
    cardData: bool,
    erased: bool,
  },
  { media: literal(...STORE_MEDIA) },
);

export const replyShapes: Record<MessageType, Check> = {
  HELLO: obj({
    proto: str(16, /^\d+\.\d+$/),
    session: str(32, /^[0-9a-fA-F]{8,32}$/),
    maxLine: int(1024, 262144),
    window: int(1, 64),
    enc: literal('b64', '8bit'),
    z: literal('none', 'deflate'),
    caps,
  }),
  IDENTIFY: obj(
    {
      vendor: str(64),
      model: str(64),
      serial: str(64, /^[A-Za-z0-9._-]{1,64}$/),
      firmware: str(64),
      tid: nullable(str(32)),
      mid: nullable(str(32)),
      acquirer: nullable(str(64)),
      state: literal('active', 'decommissioned'),
    },
    { simulated: literal(true) },
  ),
  STATUS: obj(
    {
      channels: record(channelName, literal('on', 'off'), 8),
      links: record(channelName, literal('up', 'down'), 8),
      batch: obj({ open: bool, count: int(0, 10_000_000), totals: arr(money, 16) }),
      battery: nullable(obj({ percent: int(0, 100), charging: bool })),
      tamper: bool,
      bound: bool,
      authorized: bool,
      state: literal('active', 'decommissioned'),
    },
    // Required from 1.1 on; the driver checks that against the session's version.
    { saf: queue },
  ),
  AUTH_BEGIN: obj({ nonce: str(32, /^[0-9a-fA-F]{32}$/), attemptsLeft: int(0, 100) }),
  AUTH: obj({ expiresInMs: int(0, 2 ** 31) }),
  CHANNEL: obj({ channel: literal(...CHANNELS), enabled: bool }),
  // batchId is "" when no batch was open (s.6.7, 1.1).
  SETTLE: obj({ batchId: str(64), count: int(0, 10_000_000), totals: arr(money, 16) }),
  FORWARD: queue,
  NETWORK: obj({ link: literal(...LINK_KINDS), up: bool }),
  STORES: obj({ stores: arr(storeInfo, 64) }),
  READ: obj({
    store: STORE_NAME,
    offset: int(0, MAX_SIZE),
    length: int(0, 1_048_576),
    z: literal('none', 'deflate'),
  }),
  ERASE: obj(
    {
      op: str(64, OP),
      store: STORE_NAME,
      method: literal(...ERASE_METHODS),
      passes: int(1, 64),
      state: literal('running', 'done', 'failed'),
    },
    { keyDestroyed: bool },
  ),
  ERASE_STATUS: obj(
    {
      op: str(64, OP),
      store: STORE_NAME,
      state: literal('running', 'done', 'failed'),
      done: int(0, MAX_SIZE),
      total: int(0, MAX_SIZE),
    },
    { keyDestroyed: bool },
  ),
  VERIFY_ERASE: obj({ store: STORE_NAME, verified: bool, method: str(64), pattern: str(64) }),
  KEYS: obj({
    // Slots are numbered from 1 (s.6.14, 1.1); 0 is accepted from a 1.0 terminal that counted from 0.
    slots: arr(obj({ slot: int(0, 64), type: str(16), kcv: nullable(str(6, /^[0-9A-Fa-f]{6}$/)) }), 64),
  }),
  ZEROIZE: obj({ zeroized: arr(int(0, 64), 64) }),
  UNBIND: obj({ tid: literal(null), mid: literal(null), hostConfig: literal('cleared') }),
  FINALIZE: obj({ state: literal('decommissioned'), safeToPowerOff: bool }),
  PING: obj({}),
};

/**
 * An error code the agent does not know is still a refusal (treated as INTERNAL, s.8), not a
 * malformed reply: a later 1.x terminal may add codes.
 */
export const errorShape = obj(
  { code: str(32, /^[A-Z][A-Z0-9_]{0,31}$/), message: str(256) },
  {
    attemptsLeft: int(0, 100),
    retryAfterMs: int(0, 3_600_000),
    reasons: arr(str(128), 32),
    supported: arr(str(16), 8),
  },
);

/**
 * What a STATUS may not say at once (s.6.3, s.6.17, s.9): a closed batch holds no transactions, an
 * empty SAF queue no money, and a decommissioned terminal is unbound, with no batch, no queue, no
 * acceptance and no network. A terminal
 * that contradicts itself cannot be trusted to report the outcome of an erase either.
 */
export function statusContradiction(s: Status): string | undefined {
  const b = s.batch;
  if (!b.open && b.count > 0) return `no batch is open, yet it holds ${b.count} transactions`;
  if (!b.open && b.totals.length > 0) return 'no batch is open, yet it has totals';
  if (b.count === 0 && b.totals.some((t) => t.minor !== 0))
    return 'the batch has no transactions but a total';
  if (s.saf && s.saf.count === 0 && s.saf.totals.some((t) => t.minor !== 0))
    return 'the SAF queue is empty but has a total';
  if (s.state === 'decommissioned') {
    if (s.bound) return 'decommissioned, yet still bound to an acquirer';
    if (b.open) return 'decommissioned, yet a batch is open';
    if (s.saf && s.saf.count > 0) return `decommissioned, yet ${s.saf.count} payments wait to be forwarded`;
    const on = Object.entries(s.channels).find(([, v]) => v === 'on');
    if (on) return `decommissioned, yet ${on[0]} acceptance is on`;
    const up = Object.entries(s.links).find(([, v]) => v === 'up');
    if (up) return `decommissioned, yet ${up[0]} is up`;
  }
  return undefined;
}

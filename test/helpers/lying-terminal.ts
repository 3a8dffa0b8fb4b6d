import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from '../../protocol/line/frame.js';
import { frameLine, type Passing, type Rule, type Wire } from './hostile-proxy.js';

/**
 * The lying terminal of the model-based test: a real simulated terminal behind a proxy that
 * tells one lie, in one answer the job gets, of one of five kinds:
 *
 *   omit        the answer leaves something out (a store, a link, a key slot, a field)
 *   shrink      it reports less than there is (a store's size, a batch's count, slots)
 *   repeat      it is an earlier answer of the same kind, stale
 *   contradict  it says the opposite (on/off, up/down, erased, verified, bound)
 *   fake        the request never reaches the terminal; the answer claims it was done
 *
 * and a watcher that checks, at the moment the agent sends them, the rules no lie may make it
 * break: no ERASE before a verified backup of the bytes the store holds then, no SETTLE while
 * payments wait in the SAF queue (money first), no UNBIND before the batch is settled and the
 * queue forwarded.
 */
export const LIE_KINDS = ['omit', 'shrink', 'repeat', 'contradict', 'fake'] as const;
export type LieKind = (typeof LIE_KINDS)[number];

export const ANSWERS = [
  'IDENTIFY',
  'STATUS',
  'STORES',
  'KEYS',
  'CHANNEL',
  'FORWARD',
  'SETTLE',
  'NETWORK',
  'READ',
  'ERASE',
  'ERASE_STATUS',
  'VERIFY_ERASE',
  'ZEROIZE',
  'UNBIND',
  'FINALIZE',
] as const;
type Answer = (typeof ANSWERS)[number];

/** The answers each kind of lie can be told in. */
export const LIES: Record<LieKind, readonly Answer[]> = {
  omit: ANSWERS,
  shrink: ['STORES', 'STATUS', 'KEYS', 'FORWARD', 'SETTLE', 'ERASE_STATUS'],
  repeat: [
    'IDENTIFY',
    'STATUS',
    'STORES',
    'KEYS',
    'CHANNEL',
    'NETWORK',
    'READ',
    'ERASE',
    'ERASE_STATUS',
    'VERIFY_ERASE',
  ],
  contradict: [
    'STATUS',
    'STORES',
    'VERIFY_ERASE',
    'KEYS',
    'IDENTIFY',
    'ERASE',
    'ERASE_STATUS',
    'CHANNEL',
    'NETWORK',
    'FINALIZE',
  ],
  fake: ['CHANNEL', 'NETWORK', 'FORWARD', 'SETTLE', 'ERASE', 'ERASE_STATUS', 'ZEROIZE', 'UNBIND', 'FINALIZE'],
};

export interface Lie {
  kind: LieKind;
  type: Answer;
  /** Which answer of that type (1 = the first). */
  nth: number;
}

type Header = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

function omit(type: string, h: Header): Header | undefined {
  const out = clone(h);
  if (type === 'STATUS') {
    const links = out.links as Header;
    const channels = out.channels as Header;
    const key = Object.keys(links)[0];
    if (key) delete links[key];
    else delete channels[Object.keys(channels)[0]!];
  } else if (type === 'STORES') out.stores = (out.stores as unknown[]).slice(1);
  else if (type === 'KEYS') out.slots = (out.slots as unknown[]).slice(1);
  else if (type === 'ZEROIZE') out.zeroized = (out.zeroized as unknown[]).slice(1);
  else if (type === 'SETTLE') out.totals = [];
  else {
    const field = Object.keys(out).find((k) => k !== 'ok');
    if (!field) return undefined;
    delete out[field];
  }
  return out;
}

function shrink(type: string, h: Header): Header | undefined {
  const out = clone(h);
  if (type === 'STORES') {
    const s = (out.stores as Header[])[0];
    if (!s) return undefined;
    s.size = Math.floor(Number(s.size) / 2);
    s.records = Math.floor(Number(s.records) / 2);
  } else if (type === 'STATUS') {
    const batch = out.batch as Header;
    const saf = out.saf as Header | undefined;
    // Payments in the SAF queue are money too: shrink the queue where there is one.
    if (saf && Number(saf.count) > 0) out.saf = { count: 0, totals: [] };
    else batch.count = Math.max(0, Number(batch.count) - 1);
  } else if (type === 'FORWARD') out.count = Math.max(0, Number(out.count) - 1);
  else if (type === 'KEYS') out.slots = (out.slots as unknown[]).slice(0, -1);
  else if (type === 'SETTLE') out.count = Math.max(0, Number(out.count) - 1);
  else if (type === 'ERASE_STATUS') out.done = Math.floor(Number(out.done) / 2);
  else return undefined;
  return out;
}

const flip = (m: Header, a: string, b: string) => {
  for (const k of Object.keys(m)) m[k] = m[k] === a ? b : a;
};

function contradict(type: string, h: Header): Header | undefined {
  const out = clone(h);
  switch (type) {
    case 'STATUS':
      flip(out.channels as Header, 'on', 'off');
      flip(out.links as Header, 'up', 'down');
      return out;
    case 'STORES':
      for (const s of out.stores as Header[]) s.erased = !s.erased;
      return out;
    case 'VERIFY_ERASE':
      return { ...out, verified: !out.verified };
    case 'KEYS':
      for (const s of out.slots as Header[]) s.kcv = s.kcv === null ? 'ABCDEF' : null;
      return out;
    case 'IDENTIFY':
      return out.tid === null
        ? { ...out, tid: '99999999', mid: '999999999999999' }
        : { ...out, tid: null, mid: null, acquirer: null };
    case 'ERASE':
    case 'ERASE_STATUS':
      return { ...out, state: out.state === 'done' ? 'failed' : 'done' };
    case 'CHANNEL':
      return { ...out, enabled: !out.enabled };
    case 'NETWORK':
      return { ...out, up: !out.up };
    case 'FINALIZE':
      return { ...out, safeToPowerOff: !out.safeToPowerOff };
    default:
      return undefined;
  }
}

/** What a terminal that only pretends answers to a request it never executed. */
function fakeAnswer(req: Frame, stores: Map<string, string>): Header | undefined {
  const h = req.header;
  switch (req.type) {
    case 'CHANNEL':
      return { ok: true, channel: h.channel, enabled: h.enabled };
    case 'NETWORK':
      return { ok: true, link: h.link, up: h.up };
    case 'FORWARD':
      return { ok: true, count: 1, totals: [] };
    case 'SETTLE':
      return { ok: true, batchId: '000001', count: 0, totals: [] };
    case 'ERASE':
      return { ok: true, op: h.op, store: h.store, method: h.method, passes: 1, state: 'done' };
    case 'ERASE_STATUS':
      return {
        ok: true,
        op: h.op,
        store: stores.get(String(h.op)) ?? 'journal',
        state: 'done',
        done: 4096,
        total: 4096,
      };
    case 'ZEROIZE':
      return { ok: true, zeroized: [1, 2, 3, 4, 5] };
    case 'UNBIND':
      return { ok: true, tid: null, mid: null, hostConfig: 'cleared' };
    case 'FINALIZE':
      return { ok: true, state: 'decommissioned', safeToPowerOff: true };
    default:
      return undefined;
  }
}

/** The proxy rule that tells `lie`; `told` says whether it has. */
export function liar(lie: Lie): Rule & { told: boolean } {
  const first = new Map<string, Frame>();
  const erasing = new Map<string, string>();
  const rule = {
    told: false,
    toTerminal: (p: Passing, w: Wire) => {
      if (p.frame.type === 'ERASE') erasing.set(String(p.frame.header.op), String(p.frame.header.store));
      if (lie.kind !== 'fake' || rule.told || p.frame.type !== lie.type || p.nth !== lie.nth)
        return undefined;
      const answer = fakeAnswer(p.frame, erasing);
      if (!answer) return undefined;
      rule.told = true;
      w.toAgent(frameLine({ seq: p.frame.seq, kind: 'R', type: p.frame.type, header: answer }));
      return 'drop' as const;
    },
    toAgent: (p: Passing) => {
      const f = p.frame;
      if (f.kind !== 'R' || f.header.ok !== true) return undefined;
      if (!first.has(f.type)) first.set(f.type, f);
      if (lie.kind === 'fake' || rule.told || f.type !== lie.type || p.nth !== lie.nth) return undefined;
      let header: Header | undefined;
      let data = f.data;
      if (lie.kind === 'omit') header = omit(f.type, f.header);
      if (lie.kind === 'shrink') header = shrink(f.type, f.header);
      if (lie.kind === 'contradict') header = contradict(f.type, f.header);
      if (lie.kind === 'repeat' && first.get(f.type) !== f) {
        header = clone(first.get(f.type)!.header);
        data = first.get(f.type)!.data;
      }
      if (!header) return undefined;
      rule.told = true;
      return frameLine({ ...f, header, ...(data ? { data } : {}) });
    },
  };
  return rule;
}

/**
 * Checks, as each request passes, the rules that protect data and money; breaches are listed.
 * `dir` is the job's output directory (its backup manifest is read as it stands then).
 */
export function watcher(dir: string): Rule & { breaches: string[] } {
  const firstErase = new Set<string>();
  const breaches: string[] = [];
  return {
    breaches,
    toTerminal: (p, w) => {
      const type = p.frame.type;
      if (type === 'ERASE') {
        const store = String(p.frame.header.store);
        if (firstErase.has(store) || w.sim.eraseCount(store) > 0) return undefined;
        firstErase.add(store);
        const real = w.sim.storeDigest(store);
        const manifestPath = join(dir, 'backup', 'manifest.json');
        const manifest = existsSync(manifestPath)
          ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as {
              stores: { name: string; file: string; status: string; receivedSha256: string }[];
            })
          : { stores: [] };
        const backup = manifest.stores.find((s) => s.name === store && s.status === 'ok');
        if (!backup || backup.receivedSha256 !== real || !existsSync(join(dir, 'backup', backup.file))) {
          breaches.push(`ERASE of ${store} without a verified backup of the bytes it holds`);
        }
      }
      const truth = type === 'SETTLE' || type === 'UNBIND' ? w.sim.truth() : undefined;
      if (type === 'SETTLE' && truth!.safQueued > 0)
        breaches.push('SETTLE while payments wait in the SAF queue');
      if (type === 'UNBIND' && truth!.batchOpen) breaches.push('UNBIND while the batch is open');
      if (type === 'UNBIND' && truth!.safQueued > 0)
        breaches.push('UNBIND while payments wait in the SAF queue');
      return undefined;
    },
  };
}

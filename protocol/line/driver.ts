import { createHmac } from 'node:crypto';
import { bulkRead } from './bulk-read/bulk-read.js';
import type {
  AuthorizeResult,
  DriverCapabilities,
  DriverEvents,
  EraseProgress,
  ForwardResult,
  LinkCounts,
  SettleResult,
  TerminalDriver,
} from '../driver.js';
import { ErrorCode, PosdecomError } from '../errors.js';
import type { Link } from '../transport/link.js';
import { authMessage, hasSafQueue, type ProtocolVersion } from './messages.js';
import {
  type Channel,
  type EraseMethod,
  type Identity,
  type KeySlot,
  type LinkKind,
  type Status,
  type StoreInfo,
} from '../domain.js';
import { lineCapabilities } from './capabilities.js';
import { statusContradiction } from './replies.js';
import { LINE_NOISE } from './session/bad-frames.js';
import { Session, type SessionOptions } from './session/session.js';

/** The posdecom line protocol (SPEC.md) as a TerminalDriver, in the version HELLO agreed. */
export class LineProtocolDriver implements TerminalDriver {
  readonly protocol: string;
  private events: DriverEvents = {};
  /** Fields dropped before anyone listened (HELLO's), reported to the first listener. */
  private unreported = 0;

  private constructor(
    readonly session: Session,
    readonly capabilities: DriverCapabilities,
    readonly version: ProtocolVersion,
  ) {
    this.protocol = `posdecom-line/${version}`;
    this.unreported = session.counters.fieldsDropped;
    session.on('event', (type: string, header: Record<string, unknown>) => {
      if (type === 'PROGRESS' && typeof header.op === 'string') {
        this.events.progress?.(header.op, Number(header.done) || 0, Number(header.total) || 0);
      } else if (type === 'TAMPER') this.events.tamper?.(tamperDetail(header.detail));
    });
    session.on('discard', (reason: string) => this.events.discard?.(reason));
    session.on('fields-dropped', (type: string, count: number) => this.events.fieldsDropped?.(type, count));
  }

  /** `onSession` sees the session before HELLO, e.g. to record every frame of it. */
  static async connect(
    link: Link,
    options: Partial<SessionOptions> = {},
    onSession?: (session: Session) => void,
  ): Promise<LineProtocolDriver> {
    const session = new Session(link, options);
    onSession?.(session);
    try {
      const n = await session.hello();
      const caps = lineCapabilities(n.caps, n.proto);
      return new LineProtocolDriver(session, caps, n.proto);
    } catch (err) {
      await session.close().catch(() => undefined);
      throw err;
    }
  }

  /** Settling talks to a host and STORES hashes every store: ten ordinary timeouts. */
  private slowTimeout(): number {
    return this.session.options.requestTimeoutMs * 10;
  }

  on(events: DriverEvents): void {
    this.events = { ...this.events, ...events };
    if (this.unreported > 0 && events.fieldsDropped) {
      events.fieldsDropped('HELLO', this.unreported);
      this.unreported = 0;
    }
  }

  async identify(): Promise<Identity> {
    const r = await this.session.request('IDENTIFY', {});
    return {
      vendor: r.vendor,
      model: r.model,
      serial: r.serial,
      firmware: r.firmware,
      tid: r.tid,
      mid: r.mid,
      acquirer: r.acquirer,
      state: r.state,
      ...(r.simulated === true ? { simulated: true as const } : {}),
    };
  }

  async status(): Promise<Status> {
    // Only the fields s.6.3 names (session/reply.ts). A 1.0 terminal has no SAF queue to report;
    // from 1.1 on, a STATUS without it leaves money out.
    const { ok: _ok, data: _data, saf, ...rest } = await this.session.request('STATUS', {});
    if (hasSafQueue(this.version) && !saf) {
      throw new PosdecomError(
        ErrorCode.SessionMalformed,
        'malformed STATUS reply from the terminal: saf is missing (protocol 1.1)',
        { type: 'STATUS' },
      );
    }
    const status: Status = hasSafQueue(this.version) && saf ? { ...rest, saf } : rest;
    const contradiction = statusContradiction(status);
    if (contradiction) {
      throw new PosdecomError(
        ErrorCode.SessionHostile,
        `STATUS contradicts itself: ${contradiction}; stopping`,
      );
    }
    return status;
  }

  async authorize(serial: string, authorityCode: string): Promise<AuthorizeResult> {
    const session = this.session.negotiated?.session;
    if (!session) throw new PosdecomError(ErrorCode.SessionClosed, 'authorize before HELLO');
    const { nonce } = await this.session.request('AUTH_BEGIN', {});
    const mac = createHmac('sha256', authorityCode)
      .update(authMessage(serial, nonce, session))
      .digest('hex');
    await this.session.request('AUTH', { nonce, mac });
    return { method: 'HMAC-SHA256 challenge-response' };
  }

  async setChannel(channel: Channel, enabled: boolean): Promise<void> {
    const r = await this.session.request('CHANNEL', { channel, enabled });
    if (r.channel !== channel || r.enabled !== enabled) {
      throw new PosdecomError(
        ErrorCode.SessionHostile,
        `CHANNEL reply names ${r.channel}=${r.enabled}, not ${channel}`,
      );
    }
  }

  async settle(op: string): Promise<SettleResult> {
    const r = await this.session.request('SETTLE', { op }, { timeoutMs: this.slowTimeout() });
    return { batchId: r.batchId, count: r.count, totals: r.totals };
  }

  async forwardSaf(op: string): Promise<ForwardResult> {
    if (!hasSafQueue(this.version)) {
      throw new PosdecomError(ErrorCode.TerminalUnsupported, `protocol ${this.version} has no FORWARD`);
    }
    // The host is on the other end, as for SETTLE.
    const r = await this.session.request('FORWARD', { op }, { timeoutMs: this.slowTimeout() });
    return { count: r.count, totals: r.totals };
  }

  async setLink(link: LinkKind, up: boolean): Promise<void> {
    const r = await this.session.request('NETWORK', { link, up });
    if (r.link !== link || r.up !== up) {
      throw new PosdecomError(ErrorCode.SessionHostile, `NETWORK reply names ${r.link}=${r.up}, not ${link}`);
    }
  }

  async listStores(): Promise<StoreInfo[]> {
    const r = await this.session.request('STORES', {}, { timeoutMs: this.slowTimeout() });
    const names = new Set<string>();
    for (const s of r.stores) {
      if (names.has(s.name))
        throw new PosdecomError(ErrorCode.SessionHostile, `STORES lists ${s.name} twice`);
      names.add(s.name);
    }
    return r.stores.map(({ name, kind, size, records, sha256, cardData, erased, media }) => ({
      name,
      kind,
      size,
      records,
      // Either case on the wire (s.3); compared with our own lower-case digests.
      sha256: sha256.toLowerCase(),
      cardData,
      erased,
      ...(media === undefined ? {} : { media }),
    }));
  }

  readStore(
    store: string,
    from: number,
    size: number,
    sink: (offset: number, bytes: Buffer) => Promise<void>,
  ): Promise<number> {
    return bulkRead(this.session, { store, from, size, sink });
  }

  async startErase(op: string, store: string, method: EraseMethod): Promise<EraseProgress> {
    const r = await this.session.request('ERASE', { op, store, method });
    if (r.op !== op || r.store !== store) {
      throw new PosdecomError(
        ErrorCode.SessionHostile,
        `ERASE reply names ${r.store}/${r.op}, not ${store}/${op}`,
      );
    }
    return {
      op,
      store,
      state: r.state,
      done: 0,
      total: 0,
      method: r.method,
      passes: r.passes,
      ...(r.keyDestroyed === undefined ? {} : { keyDestroyed: r.keyDestroyed }),
    };
  }

  async eraseStatus(op: string): Promise<EraseProgress> {
    const r = await this.session.request('ERASE_STATUS', { op });
    if (r.op !== op)
      throw new PosdecomError(ErrorCode.SessionHostile, `ERASE_STATUS reply names ${r.op}, not ${op}`);
    if (r.done > r.total) {
      throw new PosdecomError(
        ErrorCode.SessionHostile,
        `ERASE_STATUS reports ${r.done} bytes done of ${r.total}, more than there is; stopping`,
      );
    }
    return {
      op,
      store: r.store,
      state: r.state,
      done: r.done,
      total: r.total,
      ...(r.keyDestroyed === undefined ? {} : { keyDestroyed: r.keyDestroyed }),
    };
  }

  async terminalVerifyErase(store: string): Promise<{ verified: boolean; method: string; pattern: string }> {
    const r = await this.session.request('VERIFY_ERASE', { store }, { timeoutMs: this.slowTimeout() });
    if (r.store !== store)
      throw new PosdecomError(ErrorCode.SessionHostile, `VERIFY_ERASE reply names ${r.store}`);
    return { verified: r.verified, method: r.method, pattern: r.pattern };
  }

  /** The line protocol erases with ERASE; it has no delete command. */
  async deleteStore(_op: string, store: string): Promise<void> {
    throw new PosdecomError(
      ErrorCode.TerminalUnsupported,
      `the line protocol has no delete command (store ${store}); it erases with ERASE`,
    );
  }

  async keys(): Promise<KeySlot[]> {
    const r = await this.session.request('KEYS', {});
    return r.slots.map(({ slot, type, kcv }) => ({
      slot,
      type,
      kcv: kcv === null ? null : kcv.toUpperCase(),
    }));
  }

  async zeroize(op: string): Promise<number[]> {
    return (await this.session.request('ZEROIZE', { op })).zeroized;
  }

  async unbind(op: string): Promise<void> {
    await this.session.request('UNBIND', { op });
  }

  async finalize(op: string): Promise<{ safeToPowerOff: boolean }> {
    const r = await this.session.request('FINALIZE', { op });
    return { safeToPowerOff: r.safeToPowerOff };
  }

  linkCounts(): LinkCounts {
    const c = this.session.counters;
    const by = (reasons: (r: string) => boolean) =>
      Object.entries(c.discarded).reduce((n, [r, k]) => (reasons(r) ? n + k : n), 0);
    return {
      corrupted: by((r) => LINE_NOISE.has(r)),
      malformed: by((r) => !LINE_NOISE.has(r) && r !== 'unexpected' && r !== 'echo' && r !== 'empty'),
      unsolicited: by((r) => r === 'unexpected'),
      echoes: by((r) => r === 'echo'),
      unknownEvents: c.unknownEvents,
      eventsDropped: c.eventsDropped,
      retransmits: c.retransmits,
    };
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/** A TAMPER detail reaches screen and journal: printable and bounded, so it cannot paint or flood them. */
function tamperDetail(detail: unknown): string {
  if (typeof detail !== 'string') return '';
  return detail.replace(/[^\x20-\x7e]/g, '?').slice(0, 128);
}

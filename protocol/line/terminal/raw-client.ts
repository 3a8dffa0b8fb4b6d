import { createHmac } from 'node:crypto';
import { decodeFrame, encodeFrame, type Frame } from '../frame.js';
import { Framer } from '../framer.js';
import { decodePayload, decompress, type PayloadEncoding } from '../payload.js';
import { authMessage, PROTOCOL_VERSION } from '../messages.js';
import type { ByteEndpoint } from '../../transport/memory-link.js';

/**
 * A frame-level peer for the simulated terminal, with none of the session layer's help: no
 * retries, no correlation rules, no validation. Tests and conformance checks use it to send
 * exactly the bytes they mean (a retransmission, a corrupt CRC, a request out of order) and
 * to see exactly what comes back.
 */
export class RawClient {
  /** Every frame received that no waiter has taken yet, in arrival order. */
  readonly inbox: Frame[] = [];
  readonly discarded: string[] = [];
  private readonly framer = new Framer((e) => {
    if (e.type === 'discarded') this.discarded.push(e.reason);
    else this.accept(e.line);
  }, 262_144);
  private waiters: {
    match: (f: Frame) => boolean;
    resolve: (f: Frame) => void;
    reject: (e: Error) => void;
  }[] = [];
  private seq = 0;
  closed = false;

  constructor(readonly endpoint: ByteEndpoint) {
    endpoint.onData((b) => this.framer.push(b));
    endpoint.onClose(() => {
      this.closed = true;
      this.framer.end();
      for (const w of this.waiters.splice(0)) w.reject(new Error('link closed'));
    });
  }

  nextSeq(): number {
    this.seq = (this.seq % 0xffff) + 1;
    return this.seq;
  }

  /** The encoded request, for a test that wants to send the same bytes twice. */
  encode(type: string, header: Record<string, unknown> = {}, seq = this.nextSeq()): Buffer {
    return encodeFrame({ seq, kind: 'Q', type, header });
  }

  send(bytes: Buffer): void {
    this.endpoint.write(bytes);
  }

  async request(
    type: string,
    header: Record<string, unknown> = {},
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const seq = this.nextSeq();
    const reply = this.waitFor((f) => f.kind === 'R' && f.seq === seq, timeoutMs);
    this.send(this.encode(type, header, seq));
    return (await reply).header;
  }

  /** The first frame (already received or still to come) that matches; it is taken from the inbox. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const at = this.inbox.findIndex(match);
    if (at >= 0) return Promise.resolve(this.inbox.splice(at, 1)[0]!);
    if (this.closed) return Promise.reject(new Error('link closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async hello(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const offer = {
      proto: PROTOCOL_VERSION,
      agent: 'raw-client/1',
      maxLine: 65536,
      window: 8,
      enc: ['8bit', 'b64'],
      z: ['deflate', 'none'],
    };
    return this.request('HELLO', { ...offer, ...overrides });
  }

  /** AUTH_BEGIN + AUTH with the authority code, as s.5.2 describes. */
  async authenticate(code: string, serial: string, session: string): Promise<Record<string, unknown>> {
    const begun = await this.request('AUTH_BEGIN');
    if (begun.ok !== true) return begun;
    const nonce = String(begun.nonce);
    const mac = createHmac('sha256', code)
      .update(authMessage(serial, nonce, session))
      .digest('hex');
    return this.request('AUTH', { nonce, mac });
  }

  /** Reads a whole store with READs of `chunk`, decoding as the session negotiated. */
  async readStore(
    store: string,
    size: number,
    enc: PayloadEncoding,
    chunk = 1024 * 1024,
  ): Promise<{ bytes: Buffer; reads: number }> {
    const parts: Buffer[] = [];
    let offset = 0;
    let reads = 0;
    while (offset < size) {
      const seq = this.nextSeq();
      const reply = this.waitFor((f) => f.kind === 'R' && f.seq === seq);
      this.send(this.encode('READ', { store, offset, length: Math.min(chunk, size - offset) }, seq));
      const frame = await reply;
      reads++;
      const bytes = readPayload(frame, enc);
      if (bytes.length === 0)
        throw new Error(`READ ${store} at ${offset} returned nothing: ${JSON.stringify(frame.header)}`);
      parts.push(bytes);
      offset += bytes.length;
    }
    return { bytes: Buffer.concat(parts), reads };
  }

  close(): void {
    this.endpoint.close();
  }

  private accept(line: Buffer): void {
    const result = decodeFrame(line);
    if (!result.ok) {
      this.discarded.push(result.reason);
      return;
    }
    const frame = result.frame;
    const waiter = this.waiters.find((w) => w.match(frame));
    if (!waiter) {
      this.inbox.push(frame);
      return;
    }
    this.waiters = this.waiters.filter((w) => w !== waiter);
    waiter.resolve(frame);
  }
}

/** The raw store bytes a READ response carries; throws on anything malformed. */
export function readPayload(frame: Frame, enc: PayloadEncoding): Buffer {
  const h = frame.header;
  if (h.ok !== true || typeof h.length !== 'number') throw new Error(`READ failed: ${JSON.stringify(h)}`);
  const decoded = decodePayload(frame.data ?? Buffer.alloc(0), enc);
  if (!decoded) throw new Error('DATA is not valid in the session encoding');
  const raw = h.z === 'deflate' ? decompress(decoded, h.length) : decoded;
  if (!raw || raw.length !== h.length) throw new Error(`DATA does not hold ${h.length} bytes`);
  return raw;
}

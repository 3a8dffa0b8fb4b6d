import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { decodeFrame, type Frame } from '../../protocol/line/frame.js';
import type { PortSettings } from '../../protocol/transport/port-spec.js';
import type { Session } from '../../protocol/line/session/session.js';
import { PROTOCOL_VERSION } from '../../protocol/line/messages.js';
import { ErrorCode, isPosdecomError } from '../../protocol/errors.js';
import {
  TRANSCRIPT_FORMAT,
  entryBytes,
  frameEntry,
  recordedPort,
  stripWorkOrder,
  type FrameEntry,
  type RecordedCommand,
  type RecordedOptions,
  type TranscriptHeader,
} from './format.js';
import { MASKING_RULES, MaskSession, StoreFlags } from './mask.js';
import { ZvtEntryMaker, type ApduTap } from './zvt-entries.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { WorkOrder } from '../work-order.js';

/**
 * `--record FILE`: every frame in both directions, masked as it is written (transcript/mask.ts),
 * in the format of transcript/format.ts. The header waits for the terminal's identity (a few
 * frames in) so that it can carry it; everything after is written as it happens, so a crash
 * leaves a transcript that ends where the job did. A `--resume` run appends to the same file:
 * one file tells the whole story of a job, and replays it.
 */
export interface TranscriptJob {
  command: RecordedCommand;
  port: string;
  settings: PortSettings;
  session?: { requestTimeoutMs?: number; helloTimeoutMs?: number };
  options?: RecordedOptions;
  workOrders?: readonly WorkOrder[];
  /** The protocol spoken, as the driver names it; default our line protocol. */
  protocol?: string;
}

/** What masks a ZVT transcript (README: Recording a session). */
const ZVT_MASKING_RULES: Record<string, string> = {
  password: 'zeroed (00 00 00)',
  cardData: 'PAN digits past the first 6 and last 4, track data past its separator: E',
  cardFileData: 'Read File data of files that may hold card data: withheld, every byte X',
  otherFileData: 'Luhn-valid 12-19 digit runs -> X',
  text: 'receipt lines: the middle of 12+ digit runs -> *',
  lengths: 'unchanged',
};

const IDENTITY_FIELDS = [
  'vendor',
  'model',
  'serial',
  'firmware',
  'tid',
  'mid',
  'acquirer',
  'state',
  'simulated',
];

export class Transcript {
  private fd: number;
  private readonly start = Date.now();
  private step = 'connect';
  private readonly flags = new StoreFlags();
  private readonly header: TranscriptHeader;
  /** Lines held until the header can be written with the identity in it. */
  private held: string[] | undefined = [];
  private links = 0;

  constructor(
    readonly path: string,
    job: TranscriptJob,
  ) {
    const append = job.options?.resume === true && existsSync(path);
    if (append) this.primeFrom(path);
    this.fd = openSync(path, append ? 'a' : 'w', 0o600);
    this.header = {
      kind: 'header',
      format: TRANSCRIPT_FORMAT,
      recorded: new Date(this.start).toISOString(),
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      protocol: job.protocol ?? PROTOCOL_VERSION,
      command: job.command,
      port: recordedPort(job.port),
      settings: { ...job.settings },
      session: {
        ...(job.session?.requestTimeoutMs !== undefined
          ? { requestTimeoutMs: job.session.requestTimeoutMs }
          : {}),
        ...(job.session?.helloTimeoutMs !== undefined ? { helloTimeoutMs: job.session.helloTimeoutMs } : {}),
      },
      options: { ...job.options },
      ...(job.workOrders ? { workOrders: job.workOrders.map(stripWorkOrder) } : {}),
      masking: job.protocol?.startsWith('zvt') ? ZVT_MASKING_RULES : MASKING_RULES,
    };
  }

  /** Annotates the frames that follow: the job step they belong to. */
  setStep(step: string): void {
    this.step = step;
  }

  /** Call before HELLO, so the negotiation (and the encoding masking needs) is recorded. */
  attach(session: Session): void {
    const n = ++this.links;
    const masker = new MaskSession(this.flags);
    this.write({ kind: 'session', t: this.elapsed(), n, step: this.step });
    session.observe((dir, raw, frame) => this.onFrame(masker, dir, raw, frame));
    session.once('failed', (err: unknown) => {
      const code = isPosdecomError(err) ? err.code : undefined;
      const lost = code === ErrorCode.TransportDisconnected || code === ErrorCode.TransportWriteFailed;
      this.write({
        kind: 'session-end',
        t: this.elapsed(),
        n,
        by: lost ? 'link' : 'agent',
        reason: code !== undefined ? (ErrorCode[code] ?? String(code)) : 'unknown',
      });
    });
  }

  /**
   * ZVT: a new link. Its driver reports every APDU to `tap` (masked here before it is written)
   * and a hang-up by the terminal to `closed`.
   */
  apduLink(): { tap: ApduTap; closed: (reason?: Error) => void } {
    const n = ++this.links;
    const maker = new ZvtEntryMaker();
    this.write({ kind: 'session', t: this.elapsed(), n, step: this.step });
    return {
      tap: (dir, apdu) => this.write(maker.entry(this.elapsed(), dir, this.step, apdu)),
      closed: (reason) => {
        const code = isPosdecomError(reason) ? (ErrorCode[reason.code] ?? String(reason.code)) : 'hang-up';
        this.write({ kind: 'session-end', t: this.elapsed(), n, by: 'link', reason: code });
      },
    };
  }

  /** The terminal's identity, once known: it goes into the header. */
  noteIdentity(identity: object): void {
    const source = identity as Record<string, unknown>;
    this.header.identity = Object.fromEntries(
      IDENTITY_FIELDS.filter((k) => k in source).map((k) => [k, source[k]]),
    );
    this.flushHeader();
  }

  close(): void {
    if (this.fd < 0) return;
    this.flushHeader();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }

  private elapsed(): number {
    return Date.now() - this.start;
  }

  private onFrame(masker: MaskSession, dir: 'out' | 'in', raw: Buffer, frame: Frame | undefined): void {
    const line = raw[raw.length - 1] === 0x0a ? raw.subarray(0, raw.length - 1) : raw;
    const masked = masker.mask(dir, line, frame);
    const type = line.toString('latin1', 7, line.indexOf(0x20, 7));
    const entry: FrameEntry = frameEntry(
      this.elapsed(),
      dir,
      this.step,
      /^[A-Z][A-Z0-9_]{0,23}$/.test(type) ? type : 'INVALID',
      masked.line,
      masked.masked,
    );
    this.write(entry);
  }

  private flushHeader(): void {
    const held = this.held;
    if (!held || this.fd < 0) return;
    this.held = undefined;
    this.write(this.header);
    for (const line of held) writeSync(this.fd, line);
  }

  private write(entry: object): void {
    if (this.fd < 0) return;
    const text = JSON.stringify(entry) + '\n';
    if (this.held) this.held.push(text);
    else writeSync(this.fd, text);
  }

  /**
   * A resumed run masks what the earlier runs knew held card data, even if not told again, and
   * knows which stores they erased (what it reads of those is another content, withhold.ts).
   */
  private primeFrom(path: string): void {
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      const stores = text.includes('"STORES"');
      if (!stores && !text.includes('"ERASE"')) continue;
      try {
        const entry = JSON.parse(text) as FrameEntry;
        const bytes = entryBytes(entry);
        const decoded = bytes ? decodeFrame(bytes) : undefined;
        if (!decoded?.ok) continue;
        const f = decoded.frame;
        if (stores && entry.dir === 'in') this.flags.note(f.header.stores);
        if (entry.dir === 'out' && f.type === 'ERASE' && typeof f.header.store === 'string')
          this.flags.withholder.noteErase(f.header.store);
      } catch {
        // A damaged line of an earlier run is the replay's problem, not the recorder's.
      }
    }
  }
}

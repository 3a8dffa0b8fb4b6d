import { ErrorCode, isPosdecomError, PosdecomError } from '../../protocol/errors.js';
import type { LinkCounts, TerminalDriver } from '../../protocol/driver.js';
import type { Identity } from '../../protocol/domain.js';
import type { PortSettings } from '../../protocol/transport/port-spec.js';
import type { SessionOptions } from '../../protocol/line/session/session.js';
import { openLink } from '../../protocol/transport/open-link.js';
import type { ProtocolName } from '../protocol-choice.js';
import type { Reporter } from '../reporter.js';
import type { Transcript } from '../transcript/transcript.js';
import { addCounts, NO_LINK_COUNTS } from './link-counts.js';
import { connectDriver, type ZvtTuning } from './open-driver.js';

/**
 * The job's hold on the terminal: opens the port, speaks HELLO, and when the link drops
 * (cable pulled, terminal rebooted) waits for it to come back, checks it is the same terminal,
 * re-authorizes, and lets the interrupted operation continue. If it does not come back in time
 * the job stops as interrupted, and `--resume` takes it from the journal.
 */
export interface ConnectionOptions {
  port: string;
  settings: PortSettings;
  /** Default: our line protocol. */
  protocol?: ProtocolName;
  session?: Partial<SessionOptions>;
  zvt?: ZvtTuning;
  reconnectWaitMs: number;
  reporter: Reporter;
  transcript?: Transcript;
  onLinkLost?: (what: string, err: PosdecomError) => void;
  /** The terminal's tamper sensor fired (it zeroizes its keys): worth a line in every record. */
  onTamper?: (detail: string) => void;
  /** A reply carried fields the protocol does not name; they were dropped unread. */
  onFieldsDropped?: (type: string, count: number) => void;
}

const LINK_LOSS = new Set([
  ErrorCode.TransportDisconnected,
  ErrorCode.TransportWriteFailed,
  ErrorCode.SessionTerminalSilent,
  ErrorCode.TransportOpenFailed,
]);

type Who = Pick<Identity, 'serial' | 'vendor' | 'model' | 'firmware'>;

/**
 * A terminal that names another serial, vendor, model or firmware mid-job is not the one the job
 * checked against its work order (or was re-flashed under it): whatever it is, nothing more is
 * done to it.
 */
export function checkSameTerminal(expected: Who, actual: Who, when: string): void {
  const e = expected;
  const a = actual;
  if (a.serial === e.serial && a.vendor === e.vendor && a.model === e.model) {
    if (a.firmware === e.firmware) return;
    throw new PosdecomError(
      ErrorCode.WorkflowAnomaly,
      `${when}, the terminal reports firmware ${a.firmware}, not ${e.firmware}; stopping`,
    );
  }
  throw new PosdecomError(
    ErrorCode.WorkflowAnomaly,
    `${when}, the terminal identifies as ${a.vendor} ${a.model} ${a.serial}, not ${e.vendor} ${e.model} ${e.serial}; stopping`,
  );
}

export function isLinkLoss(err: unknown): boolean {
  return isPosdecomError(err) && LINK_LOSS.has(err.code);
}

export class Connection {
  private current: TerminalDriver | undefined;
  private expected: Who | undefined;
  private authority: string | undefined;
  private closed = false;
  /** What earlier links (before a reconnect) dropped and resent. */
  private closedCounts: LinkCounts = NO_LINK_COUNTS;
  /** Counts links established: an operation that failed on an older one just tries again. */
  private generation = 0;
  /** The reconnect under way: every operation the lost link failed waits for this one. */
  private reconnecting: Promise<void> | undefined;

  constructor(private readonly o: ConnectionOptions) {}

  /** Frames dropped and resent since the job opened the port, over every link it has had. */
  linkCounts(): LinkCounts {
    return this.current ? addCounts(this.closedCounts, this.current.linkCounts()) : this.closedCounts;
  }

  async open(): Promise<TerminalDriver> {
    this.assertOpen();
    const link = await openLink(this.o.port, this.o.settings);
    try {
      const driver = await connectDriver(link, {
        port: this.o.port,
        protocol: this.o.protocol ?? 'line',
        ...(this.o.session ? { session: this.o.session } : {}),
        ...(this.o.zvt ? { zvt: this.o.zvt } : {}),
        ...(this.o.transcript ? { transcript: this.o.transcript } : {}),
      });
      driver.on({
        tamper: (detail) => this.o.onTamper?.(detail),
        fieldsDropped: (type, count) => this.o.onFieldsDropped?.(type, count),
      });
      this.current = driver;
      return driver;
    } catch (err) {
      await link.close().catch(() => undefined);
      throw err;
    }
  }

  driver(): TerminalDriver {
    if (!this.current) throw new PosdecomError(ErrorCode.SessionClosed, 'not connected');
    return this.current;
  }

  /** Throws unless `identity` is the terminal pinned by `pin` (nothing is pinned before it). */
  checkSameTerminal(identity: Identity, when: string): void {
    if (this.expected) checkSameTerminal(this.expected, identity, when);
  }

  /** From now on a reconnect must find this terminal, and re-authorizes with this code (or ZVT password). */
  pin(identity: Identity, authorityCode: string | undefined): void {
    this.expected = {
      serial: identity.serial,
      vendor: identity.vendor,
      model: identity.model,
      firmware: identity.firmware,
    };
    this.authority = authorityCode;
  }

  /**
   * Runs `op` on the live link. When the link drops, one reconnect serves every operation it
   * failed (erase verification reads with eight at once): the first to notice starts it, the
   * others wait for it, and one that failed on a link already replaced simply tries again.
   */
  async withLink<T>(what: string, op: (driver: TerminalDriver) => Promise<T>): Promise<T> {
    for (let losses = 0, reauthorized = false; ;) {
      if (this.reconnecting) await this.reconnecting;
      const generation = this.generation;
      try {
        return await op(this.driver());
      } catch (err) {
        this.assertOpen();
        if (!reauthorized && this.authorizationLapsed(err)) {
          // SPEC.md s.5.2: authorization may lapse (expiresInMs) before the session ends. The
          // refused request did nothing, so authorize again once and send it again.
          reauthorized = true;
          this.o.reporter.info('the terminal asks for authorization again; re-authorizing');
          await this.driver().authorize(this.expected!.serial, this.authority!);
          continue;
        }
        const lost = isLinkLoss(err);
        const replaced = generation !== this.generation || this.reconnecting !== undefined;
        if (replaced && (lost || (isPosdecomError(err) && err.code === ErrorCode.SessionClosed))) continue;
        if (!lost || losses >= 5) throw err;
        losses++;
        this.o.onLinkLost?.(what, err as PosdecomError);
        this.reconnecting = this.reconnect(what, err as PosdecomError).finally(() => {
          this.reconnecting = undefined;
        });
        await this.reconnecting;
      }
    }
  }

  /**
   * Reads [from, size) of a store in order; when the link drops and comes back, the read goes on
   * from the last byte the sink took, not from `from` again.
   */
  readStore(
    store: string,
    from: number,
    size: number,
    sink: (offset: number, bytes: Buffer) => Promise<void>,
  ): Promise<number> {
    let reached = from;
    return this.withLink(`read ${store}`, (d) =>
      d.readStore(store, reached, size, async (offset, bytes) => {
        await sink(offset, bytes);
        reached = offset + bytes.length;
      }),
    );
  }

  private async reconnect(what: string, cause: PosdecomError): Promise<void> {
    await this.dropDriver();
    const deadline = Date.now() + this.o.reconnectWaitMs;
    this.o.reporter.warn(
      `link lost during ${what} (${cause.message}); waiting up to ${Math.round(this.o.reconnectWaitMs / 1000)} s for the terminal`,
    );
    let last: unknown = cause;
    while (Date.now() < deadline) {
      try {
        const driver = await this.open();
        const identity = await driver.identify();
        const e = this.expected;
        if (e) checkSameTerminal(e, identity, 'after reconnecting');
        if (this.authority !== undefined && e) await driver.authorize(e.serial, this.authority);
        this.generation++;
        this.o.reporter.info('terminal back; continuing');
        return;
      } catch (err) {
        if (isPosdecomError(err) && !isLinkLoss(err) && err.code !== ErrorCode.TransportUnknownPort)
          throw err;
        last = err;
        await this.dropDriver();
        await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
      }
    }
    throw new PosdecomError(
      ErrorCode.WorkflowInterrupted,
      `the terminal did not come back within ${Math.round(this.o.reconnectWaitMs / 1000)} s (${(last as Error).message}); reconnect it and run again with --resume`,
    );
  }

  private authorizationLapsed(err: unknown): boolean {
    return (
      isPosdecomError(err) &&
      err.code === ErrorCode.TerminalRefused &&
      err.context.code === 'AUTH_REQUIRED' &&
      this.authority !== undefined &&
      this.expected !== undefined
    );
  }

  private async dropDriver(): Promise<void> {
    const d = this.current;
    if (d) this.closedCounts = addCounts(this.closedCounts, d.linkCounts());
    this.current = undefined;
    await d?.close().catch(() => undefined);
  }

  /** Closes the port for good: an operation still running fails instead of reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    await this.dropDriver();
  }

  private assertOpen(): void {
    if (this.closed) throw new PosdecomError(ErrorCode.WorkflowInterrupted, 'the connection was closed');
  }
}

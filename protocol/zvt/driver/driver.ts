import type {
  AuthorizeResult,
  DriverCapabilities,
  DriverEvents,
  EraseProgress,
  ForwardResult,
  LinkCounts,
  SettleResult,
  StepMeasures,
  TerminalDriver,
  TerminalVerifyResult,
} from '../../driver.js';
import type { Identity, KeySlot, Status, StoreInfo } from '../../domain.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { Link } from '../../transport/link.js';
import { CONFIG } from '../codec/commands.js';
import { ZvtClient } from '../ecr/client.js';
import type { ProgressEvent } from '../ecr/evidence.js';
import type { SequenceTimers } from '../ecr/options.js';
import type { ApduLink } from '../link/apdu-link.js';
import { SerialApduLink, type SerialTimers } from '../link/serial-link.js';
import { TcpApduLink } from '../link/tcp-link.js';
import { ZvtFiles } from './files.js';
import { ZVT_PROTOCOL, identityFrom } from './mapping.js';
import { ZvtSession } from './session.js';
import { tapLink, type ApduTap } from './tap.js';

/**
 * ZVT (PA00P015) as a TerminalDriver: what each decommission step can and cannot do over the
 * ECR interface (README.md "The driver"). ZVT has no command to switch acceptance off, take
 * networks down, list or zeroize keys, or put a terminal in a decommissioned state: those
 * capabilities are false and their measures null, and the workflow records them UNKNOWN.
 */
export const ZVT_MEASURES: StepMeasures = {
  identify: 'Status Enquiry (05 01, service byte 04) and the Print System Configuration receipt (06 1A)',
  authorize: 'Registration (06 00) accepting the password; config byte: ECR controls payment and admin',
  'disable-acceptance': null,
  'forward-saf': null,
  settle: 'Send Turnover Totals (06 10) before and after End-of-Day (06 50)',
  'network-down': null,
  backup: 'Read File (08 11): the announced size, contiguous blocks, and a second read with the same SHA-256',
  erase: 'Delete File (08 12), then Read File finding the file gone',
  'key-zeroization': null,
  unbind: 'Set/Reset Terminal-ID (06 1B), then Status Enquiry reporting no TID',
  finalize: 'Reset Terminal (06 18), Status Enquiry status 00, Log-Off (06 02)',
};

const CAPABILITIES: DriverCapabilities = {
  authorize: true,
  channels: [],
  settle: true,
  forwardSaf: false,
  links: [],
  // ZVT has no greeting that announces stores or key slots: nothing to check the lists against.
  stores: [],
  keySlots: 0,
  readStores: true,
  erase: [],
  eraseBy: 'delete',
  terminalEraseVerify: false,
  keyInventory: false,
  zeroize: false,
  unbind: true,
  finalize: true,
  measures: ZVT_MEASURES,
  storeDigests: false,
  authorizeToRead: true,
  finalizeKind: 'confirm',
};

/** Registration's config byte: receipts to the ECR, intermediate statuses, ECR controls payment and admin. */
export const LOCK_CONFIG =
  CONFIG.ecrPrintsAdminReceipts |
  CONFIG.sendIntermediateStatus |
  CONFIG.ecrControlsPayment |
  CONFIG.ecrControlsAdmin;

export interface ZvtDriverOptions {
  /** `serial`: DLE framing (a serial port, sim:zvt, or tcp:// to a device server); `tcp`: zvt+tcp://. */
  framing: 'serial' | 'tcp';
  timers?: Partial<SequenceTimers>;
  serial?: Partial<SerialTimers>;
  /** Every APDU in both directions, unmasked: the transcript masks before it writes. */
  tap?: ApduTap;
  /** The link went away other than by our close (a pulled cable, a hang-up). */
  onClose?: (reason: Error | undefined) => void;
  onProgress?: (e: ProgressEvent) => void;
}

export class ZvtDriver implements TerminalDriver {
  readonly protocol = ZVT_PROTOCOL;
  readonly capabilities = CAPABILITIES;
  private events: DriverEvents = {};
  private readonly zvt: ZvtSession;
  private readonly files: ZvtFiles;

  private constructor(
    private readonly link: ApduLink,
    readonly client: ZvtClient,
  ) {
    this.zvt = new ZvtSession(client);
    this.files = new ZvtFiles(client);
  }

  /** ZVT has no handshake: the driver is ready once the link is; the first command finds a silent terminal. */
  static connect(link: Link, o: ZvtDriverOptions): ZvtDriver {
    const framed: ApduLink = o.framing === 'tcp' ? new TcpApduLink(link) : new SerialApduLink(link, o.serial);
    if (o.onClose) framed.onClose(o.onClose);
    const apdus = o.tap ? tapLink(framed, o.tap) : framed;
    const client = new ZvtClient(apdus, {
      ...(o.timers ? { timers: o.timers } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    return new ZvtDriver(apdus, client);
  }

  on(events: DriverEvents): void {
    this.events = { ...this.events, ...events };
  }

  async identify(): Promise<Identity> {
    return identityFrom(await this.zvt.statusEnquiry());
  }

  async status(): Promise<Status> {
    const info = await this.zvt.statusEnquiry();
    const batch = await this.zvt.turnoverTotals();
    return {
      channels: {},
      links: {},
      batch,
      battery: null,
      tamper: false,
      bound: info.tid !== undefined,
      authorized: this.zvt.registered,
      state: 'active',
    };
  }

  authorize(_serial: string, password: string): Promise<AuthorizeResult> {
    return this.zvt.register(password, LOCK_CONFIG);
  }

  async identityEvidence(): Promise<Record<string, unknown>> {
    return { systemConfiguration: await this.zvt.systemConfiguration() };
  }

  settle(_op: string): Promise<SettleResult> {
    return this.zvt.endOfDay();
  }

  listStores(names?: readonly string[], known?: readonly StoreInfo[]): Promise<StoreInfo[]> {
    return this.files.list(names, known);
  }

  readStore(
    store: string,
    from: number,
    size: number,
    sink: (offset: number, bytes: Buffer) => Promise<void>,
  ): Promise<number> {
    return this.files.read(store, from, size, sink);
  }

  deleteStore(_op: string, store: string): Promise<void> {
    return this.files.delete(store);
  }

  unbind(_op: string): Promise<void> {
    return this.zvt.resetTerminalId();
  }

  finalize(_op: string): Promise<{ safeToPowerOff: boolean; evidence: Record<string, unknown> }> {
    return this.zvt.confirm();
  }

  async keys(): Promise<KeySlot[]> {
    throw notPossible('list key slots');
  }

  async zeroize(): Promise<number[]> {
    throw notPossible('zeroize keys');
  }

  async setChannel(): Promise<void> {
    throw notPossible('switch acceptance channels');
  }

  async setLink(): Promise<void> {
    throw notPossible('take network links down');
  }

  async forwardSaf(): Promise<ForwardResult> {
    throw notPossible('report or forward a store-and-forward queue');
  }

  /**
   * What the link dropped and resent, in the workflow's words: frames lost to line noise (bad
   * CRC, a lone DLE, cut short, too long), frames intact whose APDU length disagrees with its
   * data, ACK/NAK bytes for nothing outstanding and frames the terminal sent again (its own
   * repeat after a lost ACK), and our repeats. ZVT has no events, so those counts stay 0.
   */
  linkCounts(): LinkCounts {
    const c = this.link.counters;
    return {
      corrupted: c.badCrc + c.loneDle + c.truncated + c.overlong,
      malformed: c.lengthMismatch,
      unsolicited: c.strayAckBytes + c.duplicates,
      echoes: 0,
      unknownEvents: 0,
      eventsDropped: 0,
      retransmits: c.repeats,
    };
  }

  async startErase(): Promise<EraseProgress> {
    throw notPossible('erase a store other than by Delete File');
  }

  async eraseStatus(): Promise<EraseProgress> {
    throw notPossible('report erase progress');
  }

  async terminalVerifyErase(): Promise<TerminalVerifyResult> {
    throw notPossible('verify an erase itself');
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

function notPossible(what: string): PosdecomError {
  return new PosdecomError(ErrorCode.TerminalUnsupported, `ZVT has no standard command to ${what}`);
}

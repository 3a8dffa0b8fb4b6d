import type {
  Channel,
  EraseMethod,
  EraseState,
  Identity,
  KeySlot,
  LinkKind,
  Money,
  SafQueue,
  Status,
  StoreInfo,
} from './domain.js';

/**
 * What the decommission workflow needs from a terminal, whatever protocol it speaks.
 * A driver declares what it can do; the workflow reports a step the driver cannot do as
 * UNKNOWN instead of pretending (our line protocol is one driver; ZVT will be another).
 */
export interface DriverCapabilities {
  authorize: boolean;
  /** Acceptance channels it can switch off and confirm by status. */
  channels: Channel[];
  settle: boolean;
  /** Can report the store-and-forward queue (STATUS) and forward it to the host. */
  forwardSaf: boolean;
  /** Network links it can take down and confirm by status. */
  links: LinkKind[];
  /** Can list stores with digests and read them by offset. */
  readStores: boolean;
  /**
   * The stores the terminal announced before anyone asked for the list (line protocol: HELLO
   * `caps.stores`, names or kinds): a later list that leaves one out is a terminal hiding it.
   */
  stores: string[];
  /** Erase methods, strongest first. */
  erase: EraseMethod[];
  /** The terminal has its own erase verification (the agent reads back regardless). */
  terminalEraseVerify: boolean;
  keyInventory: boolean;
  /** Key slots the terminal announced; its key inventory must account for every one. */
  keySlots: number;
  zeroize: boolean;
  unbind: boolean;
  finalize: boolean;
}

export interface SettleResult {
  batchId: string;
  count: number;
  totals: Money[];
}

/** What a forward of the SAF queue sent to the host. */
export type ForwardResult = SafQueue;

export interface EraseProgress {
  op: string;
  store: string;
  state: EraseState;
  done: number;
  total: number;
  method?: EraseMethod;
  passes?: number;
  /** Crypto erase: the terminal reports the media key destroyed (true) or kept (false); absent = not reported. */
  keyDestroyed?: boolean;
}

export interface TerminalVerifyResult {
  verified: boolean;
  method: string;
  pattern: string;
}

/**
 * What the driver dropped or resent on the link so far (SPEC.md s.2.3): corrupted frames (line
 * noise), malformed ones (intact but not the protocol), responses to nothing outstanding,
 * echoes of its own retransmissions, events it does not know, events over budget, resends.
 */
export interface LinkCounts {
  corrupted: number;
  malformed: number;
  unsolicited: number;
  echoes: number;
  unknownEvents: number;
  eventsDropped: number;
  retransmits: number;
}

export interface DriverEvents {
  progress?: (op: string, done: number, total: number) => void;
  tamper?: (detail: string) => void;
  discard?: (reason: string) => void;
  /** A reply carried fields the protocol does not name: they were left out, this many. */
  fieldsDropped?: (type: string, count: number) => void;
}

export interface TerminalDriver {
  /** Protocol name and version, for the certificate and transcripts. */
  readonly protocol: string;
  readonly capabilities: DriverCapabilities;
  identify(): Promise<Identity>;
  status(): Promise<Status>;
  authorize(serial: string, authorityCode: string): Promise<void>;
  setChannel(channel: Channel, enabled: boolean): Promise<void>;
  settle(op: string): Promise<SettleResult>;
  /** Sends the store-and-forward queue to the host; destructive and idempotent by `op`. */
  forwardSaf(op: string): Promise<ForwardResult>;
  setLink(link: LinkKind, up: boolean): Promise<void>;
  listStores(): Promise<StoreInfo[]>;
  /** Reads [from, size) in order into sink; returns the offset reached. */
  readStore(
    store: string,
    from: number,
    size: number,
    sink: (offset: number, bytes: Buffer) => Promise<void>,
  ): Promise<number>;
  startErase(op: string, store: string, method: EraseMethod): Promise<EraseProgress>;
  eraseStatus(op: string): Promise<EraseProgress>;
  terminalVerifyErase(store: string): Promise<TerminalVerifyResult>;
  keys(): Promise<KeySlot[]>;
  zeroize(op: string): Promise<number[]>;
  unbind(op: string): Promise<void>;
  finalize(op: string): Promise<{ safeToPowerOff: boolean }>;
  on(events: DriverEvents): void;
  /** Running totals for this driver's link (one connection). */
  linkCounts(): LinkCounts;
  close(): Promise<void>;
}

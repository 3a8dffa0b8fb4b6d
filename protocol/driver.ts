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
 * UNKNOWN instead of pretending (our line protocol is one driver; ZVT is another).
 */
export interface DriverCapabilities {
  /** How each step is confirmed over this protocol (the plan shows it before the first change). */
  measures: StepMeasures;
  /**
   * The terminal reports a digest of each store (line: STORES). False: it reports none (ZVT), so
   * the agent measures one by reading the store a second time, and a store that reads
   * differently twice is not backed up and never erased.
   */
  storeDigests: boolean;
  /** Authorization is the ECR logging on (ZVT Registration): nothing is read without it, so a dry run does it too. */
  authorizeToRead: boolean;
  /**
   * What finalize does: `decommission` puts the terminal in its decommissioned state (line
   * FINALIZE, confirmed by STATUS and STORES); `confirm` only resets it and checks its status
   * (ZVT: Reset Terminal, Status Enquiry, Log-Off), claiming nothing about its state.
   */
  finalizeKind: 'decommission' | 'confirm';
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
  /**
   * How a store is erased: `erase` with one of `erase` (line ERASE, confirmed by ERASE_STATUS and
   * a sampled read-back), or `delete`: the protocol's own delete command (ZVT Delete File),
   * confirmed by reading the store again and finding it gone; nothing says how the medium was
   * overwritten.
   */
  eraseBy: 'erase' | 'delete';
  /** The terminal has its own erase verification (the agent reads back regardless). */
  terminalEraseVerify: boolean;
  keyInventory: boolean;
  /** Key slots the terminal announced; its key inventory must account for every one. */
  keySlots: number;
  zeroize: boolean;
  unbind: boolean;
  finalize: boolean;
}

/**
 * The command (or commands) that confirm a step over this protocol, as the plan and the records
 * name them, or null when the protocol has no command for it: the workflow then records the
 * step UNKNOWN (ATTESTED when the technician attests it) and goes on, and never calls PASS.
 */
export interface StepMeasures {
  identify: string;
  authorize: string;
  'disable-acceptance': string | null;
  /** Null: the protocol can neither report nor forward a store-and-forward queue (ZVT). */
  'forward-saf': string | null;
  settle: string | null;
  'network-down': string | null;
  backup: string;
  erase: string;
  'key-zeroization': string | null;
  unbind: string | null;
  finalize: string | null;
}

/** What authorization showed, for the journal's authorize record (never the code or password). */
export interface AuthorizeResult {
  method: string;
  evidence?: Record<string, unknown>;
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
  /** `credential`: the work order's authority code (line) or the terminal's password (ZVT). */
  authorize(serial: string, credential: string): Promise<AuthorizeResult>;
  /**
   * What else the terminal says about itself once authorized, for the identify record (ZVT: the
   * Print System Configuration receipt). Absent when the protocol has nothing more.
   */
  identityEvidence?(): Promise<Record<string, unknown>>;
  setChannel(channel: Channel, enabled: boolean): Promise<void>;
  settle(op: string): Promise<SettleResult>;
  /** Sends the store-and-forward queue to the host; destructive and idempotent by `op`. */
  forwardSaf(op: string): Promise<ForwardResult>;
  setLink(link: LinkKind, up: boolean): Promise<void>;
  /**
   * The terminal's stores. `names`: only these are needed (a protocol that must ask store by
   * store, like ZVT, asks only for them; one that lists all at once may list all). `known`: the
   * stores as the job last read them; a protocol that learns a size only by reading (ZVT) asks
   * from the known size on, so an unchanged store costs no content bytes.
   */
  listStores(names?: readonly string[], known?: readonly StoreInfo[]): Promise<StoreInfo[]>;
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
  /** Deletes a store with the protocol's delete command (capabilities.eraseBy 'delete'). */
  deleteStore(op: string, store: string): Promise<void>;
  keys(): Promise<KeySlot[]>;
  zeroize(op: string): Promise<number[]>;
  unbind(op: string): Promise<void>;
  /** `evidence`: what the driver measured while finalizing (ZVT: the status byte it checked). */
  finalize(op: string): Promise<{ safeToPowerOff: boolean; evidence?: Record<string, unknown> }>;
  on(events: DriverEvents): void;
  /** Running totals for this driver's link (one connection). */
  linkCounts(): LinkCounts;
  close(): Promise<void>;
}

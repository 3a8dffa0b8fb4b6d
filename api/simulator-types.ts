import type { Duplex } from 'node:stream';
import type { WorkOrder } from './work-order.js';

/**
 * The types of `posdecom/simulator` (api/simulator.ts exports them): declared here, in words
 * of their own, so the published declarations import nothing internal.
 */

export type LineModel = 'countertop' | 'mobile' | 'unattended';
/** The simulated ZVT terminal (protocol/zvt/terminal): one model, its files and password from the seed. */
export type ZvtModel = 'zvt';

export interface SimulatorOptions {
  /** What the terminal speaks: 'line' (default), or 'zvt' (ZVT, PA00P015/PA00P016) with model 'zvt'. */
  protocol?: 'line' | 'zvt';
  model: LineModel | ZvtModel;
  /** Everything it holds derives from the seed: serial, TID/MID, store contents, keys (default 1). */
  seed?: number;
  /**
   * Faults from the start, as `posdecom simulate --faults` takes them for the model: e.g.
   * 'erase-lie=saf' (line, protocol/line/terminal/faults.ts), 'drop=readfile:3' (ZVT,
   * protocol/zvt/terminal/faults.ts).
   */
  faults?: string;
  /** Keep its state in this file, so a new terminal with the same file continues where it was. */
  stateFile?: string;
  /** Pace its output at this line speed (bits per second; 8N1 line, 8N2 ZVT); default unpaced. */
  baud?: number;
  /** Milliseconds between a request and the start of its answer. */
  turnaroundMs?: number;
  /** Multiply every store's (ZVT: file's) size. */
  scale?: number;
  /** The settlement host is unreachable: the open batch cannot settle nor the SAF queue forward. */
  unsettled?: boolean;
  /** Keeps clear PANs and track data in its stores or journals (a PCI DSS failure the job reports). */
  noncompliant?: boolean;
  /** Line only: the newest protocol version it speaks (default '1.1'); '1.0' has no SAF queue. */
  protocolVersion?: '1.0' | '1.1';
  /** ZVT only: data bytes per Read File block (default 1024). */
  blockSize?: number;
}

export interface TerminalIdentity {
  vendor: string;
  model: string;
  serial: string;
  tid: string | null;
  mid: string | null;
}

/** A way in from outside this process; close() stops listening (the terminal stays). */
export interface Served {
  /**
   * What the CLI takes as --port: tcp://127.0.0.1:PORT (line), zvt+tcp://127.0.0.1:PORT (ZVT's
   * native TCP), or the pseudo-terminal's path.
   */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Ground truth afterwards; under the erase-lie fault `erased` is the claim and `lied` the truth.
 * A ZVT terminal's files are its stores (erased: deleted; `readBackBytes` 0, as a deleted file
 * cannot be read); it has no channels, links, keys or SAF queue, and is never `decommissioned`.
 */
export interface TerminalState {
  identity: TerminalIdentity & { state: string };
  bound: boolean;
  decommissioned: boolean;
  /** Acceptance channels: true while a channel still accepts cards. */
  channels: Record<string, boolean>;
  /** Network links: true while up. */
  links: Record<string, boolean>;
  batch: { open: boolean; count: number };
  /** Payments queued offline (store-and-forward) and not yet forwarded to the host. */
  saf: { queued: number };
  stores: {
    name: string;
    kind: string;
    size: number;
    cardData: boolean;
    /** Distinct bytes of the original content sent in whole READ replies (what a backup took). */
    readBytes: number;
    /** Every byte of the original content was sent. */
    readWhole: boolean;
    /** Distinct bytes sent after the erase (what a read-back looked at). */
    readBackBytes: number;
    erased: boolean;
    eraseMethod: string | null;
    eraseCount: number;
    lied: boolean;
  }[];
  keys: { slot: number; type: string; kcv: string | null; zeroized: boolean }[];
  /** Requests carried out, by type (line: READ, ERASE, ZEROIZE, ...; ZVT: readfile, deletefile, ...). */
  requests: Record<string, number>;
  frames: { received: number; sent: number; duplicates: number; bad: number };
}

export interface SimulatedTerminal {
  readonly protocol: 'line' | 'zvt';
  readonly model: LineModel | ZvtModel;
  readonly seed: number;
  readonly identity: TerminalIdentity;
  /** The decommission authority code its work order must carry (ZVT: the terminal's password). */
  readonly authorityCode: string;
  /** A --port for code in this process: runDecommission({ port }) or the CLI's main(). */
  readonly port: string;
  /** A ready work order for it (authority code included), with your changes on top. */
  workOrder(changes?: Partial<WorkOrder>): WorkOrder;
  /** A new cable as a Node stream: write requests, read answers (ZVT: the serial framing). */
  connect(): Duplex;
  /** Listens on TCP (loopback by default): line frames as over a cable, or ZVT's native TCP. */
  serveTcp(options?: { host?: string; port?: number }): Promise<Served>;
  /** On a pseudo-terminal made by socat (apt-get install socat); `link` is the path to open. */
  servePty(options: { link: string; baud?: number }): Promise<Served>;
  /** Other faults from now on, in the same text as `faults`; '' for none. */
  setFaults(faults: string): void;
  state(): TerminalState;
  /** Stops it, its servers and its port; its state file (if any) is saved. */
  close(): Promise<void>;
}

import type { PortSettings } from '../../protocol/transport/port-spec.js';
import type { WorkOrder } from '../work-order.js';

/**
 * The transcript file (`--record FILE`), one JSON object a line, so a diff reads like a
 * conversation. A file holds one or more *runs* (a job and its `--resume` runs append), each:
 *
 *   {"kind":"header", ...}                      what was run, against what, with which options
 *   {"kind":"session","n":1, ...}               a link opened (HELLO follows)
 *   {"t":12,"dir":"out","step":"identify","type":"IDENTIFY","line":"0002 Q IDENTIFY {}*6F731E2F"}
 *   {"t":13,"dir":"in", ... "b64":"..."}        a frame not printable as text, in base64
 *   {"kind":"session-end","n":1,"by":"link"}    the terminal hung up ("agent": we closed it)
 *   {"kind":"expect","exitCode":0}              optional: how the run ended (fixtures add it)
 *
 * A ZVT run (header `protocol` "zvt/...") holds APDUs instead of frames, in hex:
 *   {"t":40,"dir":"out","step":"identify","type":"status-enquiry","hex":"0501020304"}
 *
 * A frame line holds the frame exactly as it crossed the wire, after masking (transcript/mask.ts);
 * `masked` says what was masked in it.
 */
export const TRANSCRIPT_FORMAT = 'posdecom-transcript/1';

export type RecordedCommand = 'identify' | 'backup' | 'decommission';
export const RECORDED_COMMANDS: readonly RecordedCommand[] = ['identify', 'backup', 'decommission'];

/** The options that change what the agent sends; everything replay needs to run it again. */
export interface RecordedOptions {
  resume?: boolean;
  dryRun?: boolean;
  allowUnsettled?: boolean;
  /** decommission --card-data-backup, when given. */
  cardDataBackup?: 'keep' | 'omit';
  reconnectWaitMs?: number;
  /** backup --stores; absent means every store. */
  stores?: string[];
  /** decommission --attest: which steps were attested (what lets a job go past an UNKNOWN). */
  attested?: { step: string; target?: string }[];
}

/** A work order as recorded: what identifies the terminal, never the authority code or people. */
export interface RecordedWorkOrder {
  id: string;
  terminal: WorkOrder['terminal'];
  reason: WorkOrder['reason'];
  destination: WorkOrder['destination'];
  authority: { reference: string };
  /** A ZVT work order: that it had a password, never the password. */
  zvt?: Record<string, never>;
}

export interface RecordedSessionOptions {
  requestTimeoutMs?: number;
  helloTimeoutMs?: number;
}

export interface TranscriptHeader {
  kind: 'header';
  format: string;
  recorded: string;
  tool: { name: string; version: string };
  protocol: string;
  command: RecordedCommand;
  /** `sim:...` as given; a real port is recorded as "serial" or "tcp" (the path is the site's business). */
  port: string;
  settings: PortSettings;
  session: RecordedSessionOptions;
  options: RecordedOptions;
  workOrders?: RecordedWorkOrder[];
  identity?: Record<string, unknown>;
  masking: Record<string, string>;
}

export interface FrameEntry {
  t: number;
  dir: 'out' | 'in';
  step: string;
  type: string;
  line?: string;
  b64?: string;
  /** ZVT: the APDU in hex (transcript/zvt-entries.ts). */
  hex?: string;
  masked?: string;
}

export interface SessionEntry {
  kind: 'session';
  t: number;
  n: number;
  step: string;
}

export interface SessionEndEntry {
  kind: 'session-end';
  t: number;
  n: number;
  by: 'agent' | 'link';
  reason: string;
}

export interface ExpectEntry {
  kind: 'expect';
  exitCode: number;
}

export function stripWorkOrder(w: WorkOrder): RecordedWorkOrder {
  return {
    id: w.id,
    terminal: { ...w.terminal },
    reason: w.reason,
    destination: w.destination,
    authority: { reference: w.authority.reference },
    ...(w.zvt ? { zvt: {} } : {}),
  };
}

export function recordedPort(port: string): string {
  if (port.startsWith('sim:')) return port;
  if (port.startsWith('zvt+tcp://')) return 'zvt+tcp';
  return port.startsWith('tcp://') ? 'tcp' : 'serial';
}

/** The frame's bytes as recorded (without LF). */
export function entryBytes(e: FrameEntry): Buffer | undefined {
  if (typeof e.line === 'string') return Buffer.from(e.line, 'latin1');
  if (typeof e.b64 === 'string') return Buffer.from(e.b64, 'base64');
  return undefined;
}

/** Printable ASCII goes in as text so the file diffs well; anything else as base64. */
export function frameEntry(
  t: number,
  dir: 'out' | 'in',
  step: string,
  type: string,
  bytes: Buffer,
  masked: string | undefined,
): FrameEntry {
  const entry: FrameEntry = { t, dir, step, type };
  if (bytes.every((b) => b >= 0x20 && b < 0x7f)) entry.line = bytes.toString('latin1');
  else entry.b64 = bytes.toString('base64');
  if (masked) entry.masked = masked;
  return entry;
}

/**
 * One error class for every layer, with a numeric code per layer (after zwave-js):
 * the hundreds digit names the layer, so a caller can map any failure to an exit code
 * without string matching.
 */
export enum ErrorCode {
  // Transport: the port itself.
  TransportUnknownPort = 100,
  TransportPortBusy = 101,
  TransportOpenFailed = 102,
  TransportDisconnected = 103,
  TransportWriteFailed = 104,
  TransportListUnavailable = 105,

  // Framing: bytes that are not a valid frame.
  FramingOverlong = 200,
  FramingCorrupt = 201,
  FramingTruncated = 202,

  // Session: the conversation.
  SessionTimeout = 300,
  SessionTerminalSilent = 301,
  SessionProtocolVersion = 302,
  SessionClosed = 303,
  SessionUnexpectedReply = 304,
  SessionMalformed = 305,
  SessionHostile = 306,

  // Terminal: a well-formed refusal from the terminal.
  TerminalRefused = 400,
  TerminalAuthFailed = 401,
  TerminalAuthLocked = 402,
  TerminalUnsupported = 403,

  // Workflow: the job's own rules.
  WorkflowPrecondition = 500,
  WorkflowSerialMismatch = 501,
  WorkflowUnsettled = 502,
  WorkflowUnfinishedJob = 503,
  WorkflowInterrupted = 504,
  WorkflowEraseFailed = 505,
  WorkflowAnomaly = 506,
  WorkflowLocked = 507,

  // Backup.
  BackupFailed = 600,
  BackupDigestMismatch = 601,
  BackupOutputUnusable = 602,
  BackupRecipientMissing = 603,

  // Certificate and PKI.
  CertificateInvalid = 700,
  KeyUnusable = 701,

  // Usage: flags and input files.
  UsageInvalid = 800,
  UsageBadFile = 801,
}

export class PosdecomError extends Error {
  override readonly name = 'PosdecomError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isPosdecomError(e: unknown): e is PosdecomError {
  return e instanceof PosdecomError;
}

export function isTransportError(e: unknown): e is PosdecomError {
  return isPosdecomError(e) && e.code >= 100 && e.code < 200;
}

/**
 * ZVT (PA00P015 application protocol, PA00P016 transport): what the decommission driver uses.
 * The simulated terminal is not here: tests and `simulate` import protocol/zvt/terminal/.
 *
 *   ZvtClient (ecr/) --> SequenceEngine (ecr/) --> ApduLink: SerialApduLink | TcpApduLink (link/)
 *                                  '--> codec/ (APDU, BMP, TLV, masking)
 */
export { ZvtClient, type ZvtClientOptions, type Answer, type EndOfDayResult } from './ecr/client.js';
export { SequenceEngine, type SequenceOutcome, type SequenceRequest } from './ecr/sequence.js';
export { DEFAULT_SEQUENCE_TIMERS, type SequenceTimers } from './ecr/options.js';
export type { Evidence, ProgressEvent, IntermediateEvidence } from './ecr/evidence.js';
export type { ReadFileOptions, ReadFileResult } from './ecr/read-file.js';
export type { RegistrationInfo, StatusEnquiryInfo, Totals, FileBlock } from './ecr/results.js';
export type { ApduLink, ByteChannel, LinkCounters } from './link/apdu-link.js';
export {
  SerialApduLink,
  DEFAULT_SERIAL_TIMERS,
  type SerialTimers,
  type SerialLinkOptions,
} from './link/serial-link.js';
export { TcpApduLink } from './link/tcp-link.js';
export {
  CONFIG,
  FILE_IDS,
  RESULT,
  resultText,
  describeMessage,
  renderMessage,
  type DescribedMessage,
} from './codec/index.js';
export type { SingleTotals, CardGroup } from './codec/values.js';

/**
 * ZVT (PA00P015 application protocol, PA00P016 transport): the decommission driver and what it
 * is built on. The simulated terminal is not here: tests and `simulate` reach it through
 * protocol/transport/sim-registry.ts (or, in tests, protocol/zvt/terminal/).
 *
 *   ZvtDriver (driver/) --> ZvtClient (ecr/) --> SequenceEngine (ecr/)
 *        --> ApduLink: SerialApduLink | TcpApduLink (link/)      '--> codec/ (APDU, BMP, TLV, masking)
 */
export { ZvtDriver, ZVT_MEASURES, LOCK_CONFIG, type ZvtDriverOptions } from './driver/driver.js';
export { ZVT_PROTOCOL, ZVT_FILES, NO_FILE_ACCESS_STORE } from './driver/mapping.js';
export type { ApduTap } from './driver/tap.js';
export { maskApdu, type ApduMaskOptions, type MaskedApdu } from './codec/mask-apdu.js';
export { decodeMessage, apduName } from './codec/index.js';
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

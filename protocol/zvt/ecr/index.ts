/**
 * The ECR side of ZVT: the sequence engine (one for serial and TCP) and the typed client the
 * decommission driver uses.
 */
export { ZvtClient, type ZvtClientOptions, type Answer, type EndOfDayResult } from './client.js';
export {
  SequenceEngine,
  type SequenceRequest,
  type SequenceOutcome,
  type SequenceEngineOptions,
} from './sequence.js';
export { DEFAULT_SEQUENCE_TIMERS, resolveTimers, type SequenceTimers } from './options.js';
export type { Evidence, ProgressEvent, IntermediateEvidence } from './evidence.js';
export type { ReadFileOptions, ReadFileResult } from './read-file.js';
export type { RegistrationInfo, StatusEnquiryInfo, Totals, FileBlock } from './results.js';
export { registrationInfo, statusEnquiryInfo, totalsFrom, fileBlockOf, abortReceipt } from './results.js';

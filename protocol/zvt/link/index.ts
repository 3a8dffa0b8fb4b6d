/**
 * ZVT transports: the serial link (DLE framing, CRC-16/KERMIT, ACK/NAK, T1/T2) and the native
 * TCP link (raw APDUs), both behind ApduLink.
 */
export type { ApduLink, ByteChannel, LinkCounters } from './apdu-link.js';
export { newCounters } from './apdu-link.js';
export {
  SerialApduLink,
  DEFAULT_SERIAL_TIMERS,
  type SerialTimers,
  type SerialLinkOptions,
  type SerialFaultHooks,
} from './serial-link.js';
export { TcpApduLink, ApduReassembler } from './tcp-link.js';
export { SerialFrameParser, type FrameEvent, type RejectReason } from './frame-parser.js';
export { encodeSerialFrame, frameCrc, crc16Kermit, DLE, STX, ETX, ACK, NAK } from './serial-frame.js';

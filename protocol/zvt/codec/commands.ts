import { encodeApdu } from './apdu.js';
import { encodeBmps, plainBmp, tlvBmp, type Bmp } from './bmp.js';
import { digitsToBcd, encodeText, encodeVarLength, numberToBcd } from './encoding.js';
import { tlv, type TlvNode } from './tlv.js';

/**
 * The APDUs this project sends, as bytes: the ECR's commands and acknowledgements, and the
 * terminal's messages the simulator composes. Layouts are in README.md ("Byte layouts"); where a
 * CRC vector in zvt-captures shows a command, the bytes here equal it.
 */
export const ACK = Buffer.from([0x80, 0x00, 0x00]);

export function nack(code: number): Buffer {
  return Buffer.from([0x84, code, 0x00]);
}

/** Registration config byte bits (PA00P015 2.1), as the steps use them. */
export const CONFIG = {
  ecrPrintsPaymentReceipts: 0x02,
  ecrPrintsAdminReceipts: 0x04,
  sendIntermediateStatus: 0x08,
  ecrControlsPayment: 0x10,
  ecrControlsAdmin: 0x20,
  /** Receipts as text blocks (06 D3) instead of print lines (06 D1). */
  textBlocks: 0x80,
} as const;

/**
 * File-ids this project reads and deletes (TLV 1D). ZVT leaves their numbering to the terminal;
 * these are the simulator's, and what the driver asks a terminal for. A terminal that has no such
 * file answers Read File with an Abort.
 */
export const FILE_IDS = {
  merchantJournal: 0x01,
  customerJournal: 0x02,
  reconciliation: 0x03,
  eventLog: 0x04,
  configuration: 0x05,
} as const;

/** Status Enquiry service byte: ask for the TLV part of the completion (device name, serial, TID). */
export const STATUS_ENQUIRY_TLV = 0x04;

export function passwordBytes(password: string): Buffer {
  if (!/^\d{6}$/.test(password)) throw new RangeError('a ZVT password is 6 digits');
  return digitsToBcd(password);
}

export function registration(o: {
  password: string;
  configByte: number;
  currency?: number;
  serviceByte?: number;
}): Buffer {
  const parts = [passwordBytes(o.password), Buffer.from([o.configByte & 0xff])];
  if (o.currency !== undefined) parts.push(numberToBcd(o.currency, 2));
  if (o.serviceByte !== undefined) parts.push(encodeBmps([plainBmp(0x03, Buffer.from([o.serviceByte]))]));
  return encodeApdu(0x06, 0x00, Buffer.concat(parts));
}

export function statusEnquiry(o: { password?: string; serviceByte?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  if (o.password !== undefined) parts.push(passwordBytes(o.password));
  if (o.serviceByte !== undefined) parts.push(encodeBmps([plainBmp(0x03, Buffer.from([o.serviceByte]))]));
  return encodeApdu(0x05, 0x01, Buffer.concat(parts));
}

const withPassword = (instr: number) => (password: string) =>
  encodeApdu(0x06, instr, passwordBytes(password));
export const endOfDay = withPassword(0x50);
export const sendTurnoverTotals = withPassword(0x10);

/** Without a TID the terminal-ID is reset (unbound). */
export function setTerminalId(password: string, tid?: string): Buffer {
  const parts = [passwordBytes(password)];
  if (tid !== undefined) {
    if (!/^\d{8}$/.test(tid)) throw new RangeError('a terminal-ID is 8 digits');
    parts.push(encodeBmps([plainBmp(0x29, digitsToBcd(tid))]));
  }
  return encodeApdu(0x06, 0x1b, Buffer.concat(parts));
}

export const printSystemConfiguration = (): Buffer => encodeApdu(0x06, 0x1a);
export const diagnosis = (): Buffer => encodeApdu(0x06, 0x70);
export const resetTerminal = (): Buffer => encodeApdu(0x06, 0x18);
export const logOff = (): Buffer => encodeApdu(0x06, 0x02);

/** 08 11: TLV 2D { 1D file-id, 1E start offset (4 bytes, only when resuming) }. */
export function readFile(fileId: number, offset = 0): Buffer {
  const file: TlvNode[] = [tlv(0x1d, Buffer.from([fileId]))];
  if (offset > 0) file.push(tlv(0x1e, uint32(offset)));
  return encodeApdu(0x08, 0x11, encodeBmps([tlvBmp([tlv(0x2d, file)])]));
}

/** 08 12: TLV 1D file-id, directly in the container (as the CRC vector shows). */
export function deleteFile(fileId: number): Buffer {
  return encodeApdu(0x08, 0x12, encodeBmps([tlvBmp([tlv(0x1d, Buffer.from([fileId]))])]));
}

export function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

// --- the terminal's messages ---

export function completion(bmps: Bmp[] = []): Buffer {
  return encodeApdu(0x06, 0x0f, encodeBmps(bmps));
}

export function abort(resultCode: number, bmps: Bmp[] = []): Buffer {
  return encodeApdu(0x06, 0x1e, Buffer.concat([Buffer.from([resultCode]), encodeBmps(bmps)]));
}

/** 04 FF status [timeout]: the timeout byte is BCD minutes; absent when undefined. */
export function intermediateStatus(status: number, timeoutMinutes?: number): Buffer {
  const data = [status];
  if (timeoutMinutes !== undefined) data.push(numberToBcd(timeoutMinutes, 1)[0] ?? 0);
  return encodeApdu(0x04, 0xff, Buffer.from(data));
}

export function statusInformation(bmps: Bmp[]): Buffer {
  return encodeApdu(0x04, 0x0f, encodeBmps(bmps));
}

export function printLine(attribute: number, text: string): Buffer {
  return encodeApdu(0x06, 0xd1, Buffer.concat([Buffer.from([attribute]), encodeText(text)]));
}

/** 06 D3: TLV 1F07 receipt type, 25 { 07 line ... }. */
export function printTextBlock(lines: string[], receiptType: number): Buffer {
  const text = tlv(
    0x25,
    lines.map((l) => tlv(0x07, encodeText(l))),
  );
  return encodeApdu(0x06, 0xd3, encodeBmps([tlvBmp([tlv(0x1f07, Buffer.from([receiptType])), text])]));
}

/** 06 0F answering 05 01: LLLVAR software version, terminal status byte, optional TLV. */
export function statusEnquiryCompletion(swVersion: string, status: number, nodes?: TlvNode[]): Buffer {
  const sw = encodeText(swVersion);
  const parts = [encodeVarLength(sw.length, 3), sw, Buffer.from([status])];
  if (nodes) parts.push(encodeBmps([tlvBmp(nodes)]));
  return encodeApdu(0x06, 0x0f, Buffer.concat(parts));
}

/** One Read File block in status information: 27 00, TLV 2D { 1D id, 1E offset, 1F00 size, 1C data }. */
export function fileBlock(fileId: number, offset: number, size: number, data: Buffer): Buffer {
  const file = tlv(0x2d, [
    tlv(0x1d, Buffer.from([fileId])),
    tlv(0x1e, uint32(offset)),
    tlv(0x1f00, uint32(size)),
    tlv(0x1c, data),
  ]);
  return statusInformation([plainBmp(0x27, Buffer.from([0])), tlvBmp([file])]);
}

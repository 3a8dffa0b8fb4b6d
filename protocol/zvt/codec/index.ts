/**
 * The ZVT codec: APDU envelope, BMPs, TLV, untagged prefixes, and the masked rendering that is
 * the only way decoded card data leaves it. Code outside codec/ imports from here.
 */
export {
  parseApdu,
  encodeApdu,
  readHeader,
  controlField,
  MAX_APDU_BYTES,
  MAX_APDU_DATA,
  type Apdu,
} from './apdu.js';
export { decodeMessage, encodeMessage, encodeData, prefixField, composeMessage } from './message.js';
export type { Message, PrefixField, DecodeResult } from './message.js';
export { apduName, type DecodeContext, type Layout, type PrefixName } from './prefixes.js';
export { findBmp, plainBmp, tlvBmp, parseBmps, encodeBmps, type Bmp } from './bmp.js';
export { BMP, BMP_TABLE, bmpDef } from './bmp-table.js';
export * from './tlv.js';
export { CardData, maskPan, scrubDigits } from './card-data.js';
export * from './values.js';
export * from './encoding.js';
export {
  describeMessage,
  describeTlv,
  renderMessage,
  type Described,
  type DescribedMessage,
} from './describe.js';
export { resultText, intermediateStatusText, RESULT } from './result-codes.js';
export * as commands from './commands.js';
export { ACK, CONFIG, FILE_IDS, STATUS_ENQUIRY_TLV, nack } from './commands.js';

/**
 * The bitmaps (BMPs) of PA00P015 ch. 8: one byte of id, then a value whose length is fixed by the
 * id, or given by an LLVAR/LLLVAR prefix (Fx Fy, Fx Fy Fz), or, for 06, a BER length (TLV).
 * `value` says how the bytes read: packed BCD, a binary number, text, bytes, or card data.
 * Compiled from the spec's table as published by the open implementations (EVerest zvt,
 * Portalum.Zvt, ecrterm, Wireshark's dissector); 2D is LLVAR (track 1), not fixed.
 */
export type BmpLength = { kind: 'fixed'; size: number } | { kind: 'll' } | { kind: 'lll' } | { kind: 'tlv' };
export type BmpValueKind =
  'bcd' | 'binary' | 'text' | 'bytes' | 'pan' | 'track2' | 'secret' | 'tlv' | 'single-totals' | 'receipt-no';

export interface BmpDef {
  id: number;
  name: string;
  length: BmpLength;
  value: BmpValueKind;
}

const fixed = (size: number): BmpLength => ({ kind: 'fixed', size });
const LL: BmpLength = { kind: 'll' };
const LLL: BmpLength = { kind: 'lll' };

const DEFS: BmpDef[] = [
  { id: 0x01, name: 'timeout', length: fixed(1), value: 'binary' },
  { id: 0x02, name: 'maxStatusInfos', length: fixed(1), value: 'binary' },
  { id: 0x03, name: 'serviceByte', length: fixed(1), value: 'binary' },
  { id: 0x04, name: 'amount', length: fixed(6), value: 'bcd' },
  { id: 0x05, name: 'pumpNumber', length: fixed(1), value: 'binary' },
  { id: 0x06, name: 'tlv', length: { kind: 'tlv' }, value: 'tlv' },
  { id: 0x0b, name: 'traceNumber', length: fixed(3), value: 'bcd' },
  { id: 0x0c, name: 'time', length: fixed(3), value: 'bcd' },
  { id: 0x0d, name: 'date', length: fixed(2), value: 'bcd' },
  { id: 0x0e, name: 'expiryDate', length: fixed(2), value: 'bcd' },
  { id: 0x17, name: 'cardSequenceNumber', length: fixed(2), value: 'bcd' },
  { id: 0x19, name: 'paymentType', length: fixed(1), value: 'binary' },
  { id: 0x22, name: 'pan', length: LL, value: 'pan' },
  { id: 0x23, name: 'track2', length: LL, value: 'track2' },
  { id: 0x24, name: 'track3', length: LLL, value: 'secret' },
  { id: 0x27, name: 'resultCode', length: fixed(1), value: 'binary' },
  { id: 0x29, name: 'terminalId', length: fixed(4), value: 'bcd' },
  { id: 0x2a, name: 'vuNumber', length: fixed(15), value: 'text' },
  { id: 0x2d, name: 'track1', length: LL, value: 'secret' },
  { id: 0x2e, name: 'syncChipData', length: LLL, value: 'bytes' },
  { id: 0x37, name: 'originalTrace', length: fixed(3), value: 'bcd' },
  { id: 0x3a, name: 'cvv', length: fixed(2), value: 'secret' },
  { id: 0x3b, name: 'aid', length: fixed(8), value: 'text' },
  { id: 0x3c, name: 'additionalText', length: LLL, value: 'text' },
  { id: 0x3d, name: 'password', length: fixed(3), value: 'secret' },
  { id: 0x49, name: 'currency', length: fixed(2), value: 'bcd' },
  { id: 0x60, name: 'singleTotals', length: LLL, value: 'single-totals' },
  { id: 0x87, name: 'receiptNumber', length: fixed(2), value: 'receipt-no' },
  { id: 0x88, name: 'turnoverNumber', length: fixed(3), value: 'bcd' },
  { id: 0x8a, name: 'cardType', length: fixed(1), value: 'binary' },
  { id: 0x8b, name: 'cardName', length: LL, value: 'text' },
  { id: 0x8c, name: 'cardTypeId', length: fixed(1), value: 'binary' },
  { id: 0x9a, name: 'geldkarteRecords', length: LLL, value: 'bytes' },
  { id: 0xa0, name: 'resultCodeAs', length: fixed(1), value: 'binary' },
  { id: 0xa7, name: 'chipData', length: LL, value: 'bytes' },
  { id: 0xaa, name: 'dateYymmdd', length: fixed(3), value: 'bcd' },
  { id: 0xaf, name: 'efInfo', length: LLL, value: 'bytes' },
  { id: 0xba, name: 'aidParameter', length: fixed(5), value: 'bytes' },
  { id: 0xd0, name: 'algorithmKey', length: fixed(1), value: 'binary' },
  { id: 0xd1, name: 'cardOffset', length: LL, value: 'bytes' },
  { id: 0xd2, name: 'cardOutputDirection', length: fixed(1), value: 'binary' },
  { id: 0xd3, name: 'dukptKeyId', length: fixed(1), value: 'binary' },
  { id: 0xe0, name: 'minInputLength', length: fixed(1), value: 'binary' },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({
    id: 0xe0 + n,
    name: `text2Line${n}`,
    length: LL,
    value: 'text' as const,
  })),
  { id: 0xe9, name: 'maxInputLength', length: fixed(1), value: 'binary' },
  { id: 0xea, name: 'echoInput', length: fixed(1), value: 'binary' },
  { id: 0xeb, name: 'mac', length: fixed(8), value: 'bytes' },
  { id: 0xf0, name: 'displayDuration', length: fixed(1), value: 'binary' },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({
    id: 0xf0 + n,
    name: `text1Line${n}`,
    length: LL,
    value: 'text' as const,
  })),
  { id: 0xf9, name: 'beeps', length: fixed(1), value: 'binary' },
  { id: 0xfa, name: 'cardReaderActivation', length: fixed(1), value: 'binary' },
  { id: 0xfb, name: 'confirmInput', length: fixed(1), value: 'binary' },
  { id: 0xfc, name: 'dialogControl', length: fixed(1), value: 'binary' },
  { id: 0xfd, name: 'displayDevice', length: fixed(1), value: 'binary' },
];

export const BMP_TABLE: ReadonlyMap<number, BmpDef> = new Map(DEFS.map((d) => [d.id, d]));

export function bmpDef(id: number): BmpDef | undefined {
  return BMP_TABLE.get(id);
}

/** Named ids for code that composes messages. */
export const BMP = {
  serviceByte: 0x03,
  amount: 0x04,
  tlv: 0x06,
  traceNumber: 0x0b,
  time: 0x0c,
  date: 0x0d,
  statusByte: 0x19,
  pan: 0x22,
  track2: 0x23,
  resultCode: 0x27,
  terminalId: 0x29,
  currency: 0x49,
  singleTotals: 0x60,
  receiptNumber: 0x87,
  turnoverNumber: 0x88,
} as const;

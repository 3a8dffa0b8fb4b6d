/**
 * The serial transport's frame (PA00P016 3.1-3.3):
 *
 *   DLE STX <APDU, every DLE doubled> DLE ETX CRC_lo CRC_hi
 *
 * The CRC is CRC-16/KERMIT (CCITT polynomial processed LSB first: reflected constant 0x8408,
 * init 0, no final xor) over the unescaped APDU followed by ETX. The spec calls it "CRC-XModem
 * with x16+x15+x10+x3": those exponents are the set bits of 0x8408, not an MSB-first XMODEM.
 * The two CRC bytes are sent as they are, even when one of them is 10.
 */
export const DLE = 0x10;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16Kermit(bytes: Uint8Array, crc = 0): number {
  let c = crc;
  for (const b of bytes) c = (c >>> 8) ^ (TABLE[(c ^ b) & 0xff] ?? 0);
  return c & 0xffff;
}

/** The CRC a frame carries for `apdu`: over the APDU and ETX. */
export function frameCrc(apdu: Uint8Array): number {
  return crc16Kermit(Uint8Array.of(ETX), crc16Kermit(apdu));
}

/** The whole frame; `corruptCrc` flips a CRC bit (the simulator's bad-CRC fault). */
export function encodeSerialFrame(apdu: Buffer, corruptCrc = false): Buffer {
  let doubled = 0;
  for (const b of apdu) if (b === DLE) doubled++;
  const out = Buffer.alloc(apdu.length + doubled + 6);
  let at = 0;
  out[at++] = DLE;
  out[at++] = STX;
  for (const b of apdu) {
    out[at++] = b;
    if (b === DLE) out[at++] = DLE;
  }
  out[at++] = DLE;
  out[at++] = ETX;
  const crc = frameCrc(apdu) ^ (corruptCrc ? 0x0001 : 0);
  out[at++] = crc & 0xff;
  out[at++] = crc >>> 8;
  return out;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  children,
  decodeOid,
  decodeUint,
  derLength,
  MalformedDer,
  oid,
  readTlv,
  tlv,
  uint,
} from '../wipe/cms/der.js';
import {
  OID,
  chunkHeader,
  parseGcmAlgorithm,
  parseRecipientInfos,
  recipientInfos,
  streamTrailer,
} from '../wipe/cms/format.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER encoding of the small fixed parts', () => {
  it('encodes lengths in short and long form at every boundary', () => {
    expect(hex(derLength(0))).toBe('00');
    expect(hex(derLength(127))).toBe('7f');
    expect(hex(derLength(128))).toBe('8180');
    expect(hex(derLength(255))).toBe('81ff');
    expect(hex(derLength(256))).toBe('820100');
    expect(hex(derLength(65_536))).toBe('83010000');
    expect(() => derLength(-1)).toThrow(RangeError);
  });

  it('encodes the OIDs the container uses exactly as X.690 does', () => {
    expect(hex(oid(OID.sha256))).toBe('0609608648016503040201');
    expect(hex(oid(OID.aes256Gcm))).toBe('060960864801650304012e');
    expect(hex(oid(OID.authEnvelopedData))).toBe('060b2a864886f70d0109100117');
    expect(hex(oid(OID.rsaesOaep))).toBe('06092a864886f70d010107');
  });

  it('round-trips any OID and any small INTEGER', () => {
    const arcs = fc.tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 39 }),
      fc.array(fc.nat(), { maxLength: 8 }),
    );
    fc.assert(
      fc.property(arcs, ([a, b, rest]) => {
        const dotted = [a, b, ...rest].join('.');
        expect(decodeOid(readTlv(oid(dotted)))).toBe(dotted);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (n) => {
        expect(decodeUint(readTlv(uint(n)))).toBe(n);
      }),
    );
    expect(hex(uint(0))).toBe('020100');
    expect(hex(uint(128))).toBe('02020080');
  });

  it('writes primitive chunk headers and the trailer that closes five indefinite values', () => {
    expect(hex(chunkHeader(65_536))).toBe('0483010000');
    expect(hex(chunkHeader(3))).toBe('0403');
    const trailer = streamTrailer(Buffer.alloc(16, 0xaa));
    expect(hex(trailer)).toBe('00000000' + '0410' + 'aa'.repeat(16) + '000000000000');
  });
});

describe('DER decoding refuses what it cannot bound', () => {
  const refusals: Array<[string, string]> = [
    ['an empty buffer', ''],
    ['a lone tag', '30'],
    ['an indefinite length', '3080'],
    ['a length longer than four octets', '3085ffffffffff'],
    ['a length running past the buffer', '3005000102'],
    ['a multi-byte tag', '1f8101'],
  ];
  for (const [what, bytes] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => readTlv(Buffer.from(bytes, 'hex'))).toThrow(MalformedDer);
    });
  }

  it('bounds the number of elements in a value', () => {
    const many = Buffer.concat(Array.from({ length: 100 }, () => tlv(0x05)));
    expect(children(many, 100)).toHaveLength(100);
    expect(() => children(many, 99)).toThrow(/too many/);
  });

  it('never throws anything but MalformedDer on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        for (const parse of [() => children(b), () => parseRecipientInfos(b), () => parseGcmAlgorithm(b)]) {
          try {
            parse();
          } catch (err) {
            expect(err).toBeInstanceOf(MalformedDer);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('recipient and algorithm parameters', () => {
  it('reads back the wrapped key of the recipient info we write', () => {
    const issuer = tlv(0x30, tlv(0x31, tlv(0x30, oid('2.5.4.3'), tlv(0x0c, Buffer.from('x')))));
    const serial = uint(42);
    const key = Buffer.alloc(256, 7);
    const set = readTlv(recipientInfos(issuer, serial, key));
    expect(parseRecipientInfos(set.value)).toEqual([key]);
  });

  it('accepts only a 12-byte nonce and a 16-byte tag for AES-256-GCM', () => {
    const alg = (nonce: number, icv?: number): Buffer =>
      readTlv(
        tlv(0x30, oid(OID.aes256Gcm), tlv(0x30, tlv(0x04, Buffer.alloc(nonce)), ...(icv ? [uint(icv)] : []))),
      ).value;
    expect(parseGcmAlgorithm(alg(12, 16))).toHaveLength(12);
    expect(() => parseGcmAlgorithm(alg(16, 16))).toThrow(/nonce/);
    expect(() => parseGcmAlgorithm(alg(12, 12))).toThrow(/tag length/);
    expect(() => parseGcmAlgorithm(alg(12))).toThrow(/tag length is 12/); // the DEFAULT
  });
});

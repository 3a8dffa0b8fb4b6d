import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { canonicalBytes, canonicalize } from '../wipe/certificate/canonical-json.js';

describe('canonical JSON (RFC 8785 style)', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalize({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 s.3.2.3 requires', () => {
    // The RFC's own example order: "\r" < "1" < "\u0080" < "\u00f6" < "\u20ac" < "\ud83d\ude00" < "\ufb33".
    const obj = {
      '\u20ac': 'Euro',
      '\r': 'CR',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\ud83d\ude00': 'Smiley',
      '\u0080': 'Ctl',
      '\u00f6': 'o',
    };
    const keys = Object.keys(JSON.parse(canonicalize(obj)) as object);
    expect(canonicalize(obj).indexOf('"\\r"')).toBe(1);
    expect(keys.sort()).toEqual(keys);
    expect(canonicalize(obj)).toBe(
      '{"\\r":"CR","1":"One","\u0080":"Ctl","\u00f6":"o","\u20ac":"Euro","\ud83d\ude00":"Smiley","\ufb33":"Hebrew"}',
    );
  });

  it('writes numbers the way ECMAScript does (RFC 8785 s.3.2.2.3 examples)', () => {
    expect(canonicalize([0, -0, 1e21, 1e-7, 333333333.3333333, 4.5, 2e-3, 0.000001, 1e23, -1.5e-10])).toBe(
      '[0,0,1e+21,1e-7,333333333.3333333,4.5,0.002,0.000001,1e+23,-1.5e-10]',
    );
  });

  it('escapes strings minimally and keeps non-ASCII as UTF-8', () => {
    expect(canonicalize('a"b\\c\n\u0001é€')).toBe('"a\\"b\\\\c\\n\\u0001é€"');
    expect(canonicalBytes('é').equals(Buffer.from([0x22, 0xc3, 0xa9, 0x22]))).toBe(true);
  });

  it('leaves out object properties that are undefined, like JSON.stringify', () => {
    expect(canonicalize({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it.each([
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['undefined in an array', [1, undefined]],
    ['a Date', { d: new Date(0) }],
    ['a Buffer', { b: Buffer.from('x') }],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
    ['a lone surrogate', { s: '\ud800x' }],
  ])('refuses %s instead of changing it silently', (_what, value) => {
    let thrown: unknown;
    try {
      canonicalize(value);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PosdecomError);
    expect((thrown as PosdecomError).code).toBe(ErrorCode.CertificateInvalid);
  });

  it('round-trips any JSON value and is idempotent', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalize(v);
        const parsed: unknown = JSON.parse(once);
        expect(canonicalize(parsed)).toBe(once);
        expect(parsed).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives equal bytes for objects that differ only in key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (d) => {
        const reversed = Object.fromEntries(Object.entries(d).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(d));
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Coverage } from '../protocol/simulator/coverage.js';

/**
 * What a simulated terminal reports as read (state().stores[].readBytes, readWhole) is the union
 * of the ranges it served: checked against a plain bitmap for any order of reads.
 */
describe('the coverage of served bytes', () => {
  it('counts exactly the bytes of the union of the ranges, in any order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.nat(300), fc.nat(40)), { maxLength: 60 }),
        (size, reads) => {
          const coverage = new Coverage();
          const bitmap = new Uint8Array(size);
          for (const [offset, length] of reads) {
            const start = Math.min(offset, size);
            const end = Math.min(size, start + length);
            coverage.add(start, end - start);
            bitmap.fill(1, start, end);
          }
          const expected = bitmap.reduce((n, b) => n + b, 0);
          expect(coverage.bytes).toBe(expected);
          expect(coverage.covers(size)).toBe(expected === size);
          expect(coverage.exact).toBe(true);
        },
      ),
    );
  });

  it('keeps a bound on scattered reads and says its count is then a lower bound', () => {
    const coverage = new Coverage();
    for (let i = 0; i < 20_000; i++) coverage.add(i * 2, 1);
    expect(coverage.exact).toBe(false);
    expect(coverage.bytes).toBeLessThan(20_000);
    expect(coverage.bytes).toBeGreaterThan(0);
  });
});

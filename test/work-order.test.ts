import { describe, expect, it } from 'vitest';
import { parseWorkOrders, authorityCode } from '../agent/work-order.js';

const good = {
  id: 'WO-1',
  terminal: { serial: 'CT4-1' },
  reason: 'end-of-lease',
  owner: { merchant: 'M', location: 'L' },
  technician: { name: 'T', organisation: 'O', contact: 'c@example.org' },
  destination: 'recycling',
  authority: { reference: 'R', code: 'secret' },
};

function error(doc: unknown): string {
  try {
    parseWorkOrders(JSON.stringify(doc), 'wo.json');
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('work order', () => {
  it('accepts a complete work order and a list of them', () => {
    expect(parseWorkOrders(JSON.stringify(good), 'wo.json')).toHaveLength(1);
    const two = { workOrders: [good, { ...good, terminal: { serial: 'CT4-2' } }] };
    expect(parseWorkOrders(JSON.stringify(two), 'wo.json').map((w) => w.terminal.serial)).toEqual([
      'CT4-1',
      'CT4-2',
    ]);
  });

  it('names the missing field', () => {
    const { reason: _r, ...noReason } = good;
    expect(error(noReason)).toBe('work order wo.json: reason is missing');
    expect(error({ ...good, terminal: {} })).toBe('work order wo.json: terminal.serial is missing');
  });

  it('names the field with a bad value', () => {
    expect(error({ ...good, destination: 'bin' })).toMatch(
      /^work order wo.json: destination must be one of return-to-provider/,
    );
    expect(error({ ...good, terminal: { serial: 42 } })).toBe(
      'work order wo.json: terminal.serial must be string',
    );
    expect(error({ ...good, extra: 1 })).toBe('work order wo.json: the top level has an unknown field extra');
  });

  it('rejects non-JSON and duplicate serials with one line', () => {
    expect(() => parseWorkOrders('{', 'wo.json')).toThrow(/^work order wo.json is not JSON/);
    expect(error({ workOrders: [good, good] })).toBe('work order wo.json lists serial CT4-1 twice');
  });

  it('takes the authority code from the environment when asked to', () => {
    const w = parseWorkOrders(
      JSON.stringify({ ...good, authority: { reference: 'R', codeEnv: 'WO_TEST_CODE' } }),
      'x',
    )[0]!;
    expect(() => authorityCode(w)).toThrow(/WO_TEST_CODE/);
    process.env.WO_TEST_CODE = 'abc';
    expect(authorityCode(w)).toBe('abc');
    delete process.env.WO_TEST_CODE;
  });
});

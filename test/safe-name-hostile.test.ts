import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupFileName, isPlainBaseName, restoredFileName } from '../wipe/backup/safe-name.js';

const SHAPE = /^[0-9]{2,}-[a-z0-9]+(-[a-z0-9]+)*\.cms$/;

describe('backupFileName turns whatever a terminal calls a store into our own name', () => {
  const cases: Array<[number, string, string]> = [
    [3, 'journal', '03-journal.cms'],
    [0, 'Transaction Journal', '00-transaction-journal.cms'],
    [1, '../../etc/passwd', '01-etc-passwd.cms'],
    [2, '/dev/sda', '02-dev-sda.cms'],
    [4, 'C:\\x', '04-c-x.cms'],
    [5, 'CON', '05-con.cms'],
    [6, 'NUL\u0000evil', '06-nul-evil.cms'],
    [7, 'Überweisungen café', '07-uberweisungen-cafe.cms'],
    [8, '日本語', '08-store.cms'],
    [9, '', '09-store.cms'],
    [10, '...', '10-store.cms'],
    [123, 'a', '123-a.cms'],
  ];
  for (const [index, name, expected] of cases) {
    it(`maps ${JSON.stringify(name).slice(0, 40)} to ${expected}`, () => {
      expect(backupFileName(index, name)).toBe(expected);
    });
  }

  it('keeps a 10 KB name to 40 characters, cheaply', () => {
    const name = backupFileName(12, 'x'.repeat(10_000));
    expect(name).toBe(`12-${'x'.repeat(33)}.cms`);
    expect(name.length).toBe(40);
    // Cheap because bounded: only the first 256 characters are ever normalised, so what follows
    // them (here a name, there 10 MB of dashes) neither shows in the name nor costs any work.
    expect(backupFileName(1, `${'-'.repeat(256)}journal`)).toBe('01-store.cms');
    expect(backupFileName(1, `${'-'.repeat(255)}journal`)).toBe('01-j.cms');
    expect(backupFileName(1, '-'.repeat(10_000_000))).toBe('01-store.cms');
  });

  it('never ends the stem in a dash after truncation', () => {
    expect(backupFileName(1, `${'a'.repeat(32)} b`)).toBe(`01-${'a'.repeat(32)}.cms`);
  });

  it('gives every input a plain, bounded name, distinct per index', () => {
    fc.assert(
      fc.property(fc.nat(999), fc.string({ unit: 'binary', maxLength: 300 }), (index, raw) => {
        const name = backupFileName(index, raw);
        expect(name).toMatch(SHAPE);
        expect(name.length).toBeLessThanOrEqual(40);
        expect(isPlainBaseName(name)).toBe(true);
        expect(name.startsWith(`${String(index).padStart(2, '0')}-`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses an index that is not a non-negative integer', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity])
      expect(() => backupFileName(bad, 'x')).toThrow(RangeError);
  });
});

describe('restoredFileName', () => {
  it('swaps .cms for .bin and stays plain', () => {
    expect(restoredFileName('03-journal.cms')).toBe('03-journal.bin');
    expect(restoredFileName('A.B.cms')).toBe('a-b.bin');
    expect(restoredFileName('.cms')).toBe('store.bin');
    expect(restoredFileName('con')).toBe('store-con.bin');
    expect(restoredFileName('COM1.cms')).toBe('store-com1.bin');
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        expect(isPlainBaseName(restoredFileName(s))).toBe(true);
      }),
    );
  });
});

describe('isPlainBaseName accepts only names that stay inside their directory', () => {
  const accepted = [
    '03-journal.cms',
    'manifest.json',
    'a',
    'A_b-c.d',
    'x'.repeat(64),
    'console.log',
    'com10.txt',
  ];
  const refused = [
    '',
    '.',
    '..',
    '../x',
    '../../etc/passwd',
    '/dev/sda',
    'a/b',
    'a\\b',
    'C:\\x',
    'C:x',
    'c:',
    'file.cms:stream',
    '.hidden',
    'a..b',
    'trailing.',
    'trailing ',
    'CON',
    'con.txt',
    'Nul',
    'COM1',
    'lpt9.cms',
    'aux.tar.gz',
    'a\u0000b',
    'tab\there',
    'x'.repeat(65),
    'x'.repeat(10_000),
    'café.cms',
    '\u202ecod.exe',
    '-rf',
  ];
  for (const name of accepted)
    it(`accepts ${JSON.stringify(name.slice(0, 20))}`, () => expect(isPlainBaseName(name)).toBe(true));
  for (const name of refused)
    it(`refuses ${JSON.stringify(name.slice(0, 20))}`, () => expect(isPlainBaseName(name)).toBe(false));

  it('refuses anything that is not a string', () => {
    for (const v of [undefined, null, 3, {}, ['a'], Buffer.from('a')]) expect(isPlainBaseName(v)).toBe(false);
  });
});

import { createHash } from 'node:crypto';
import { describe, expect } from 'vitest';
import { hostileCases } from './helpers/hostile-cases.js';
import { frameLine, patched, readBytes, readReply, type Rule } from './helpers/hostile-proxy.js';

/** Sizes, offsets and digests that lie: range-checked fields, reads that do not add up (SPEC.md s.6.9-6.12). */

const reply = (type: string, edit: Required<Rule>['toAgent']): Rule => ({
  toAgent: (p, w) => (p.frame.kind === 'R' && p.frame.type === type ? edit(p, w) : undefined),
});

/**
 * Edits `store`'s entry in every STORES answer until the first ERASE (the store list is read
 * again before each backup, so a lie told once would be a different lie: see the shrink case).
 * With `firstOnly`, only the first answer lies.
 */
const storeEntry = (store: string, edit: (s: Record<string, unknown>) => void, firstOnly = false): Rule => {
  let erasing = false;
  return {
    toTerminal: (p) => {
      if (p.frame.type === 'ERASE') erasing = true;
      return undefined;
    },
    toAgent: (p) => {
      if (p.frame.kind !== 'R' || p.frame.type !== 'STORES' || erasing) return undefined;
      if (firstOnly && p.nth !== 1) return undefined;
      const stores = structuredClone(p.frame.header.stores) as Record<string, unknown>[];
      const entry = stores.find((s) => s.name === store);
      if (!entry) throw new Error(`no store ${store}`);
      edit(entry);
      return frameLine({ ...p.frame, header: { ...p.frame.header, stores } });
    },
  };
};

const firstRead = (store: string, edit: Required<Rule>['toAgent']): Rule => {
  let done = false;
  return reply('READ', (p, w) => {
    if (done || p.frame.header.store !== store) return undefined;
    done = true;
    return edit(p, w);
  });
};

const backupStopped = (store: string) => new RegExp(`backup failed for ${store}; nothing was erased`);

describe('hostile terminal: sizes, offsets and digests', () => {
  hostileCases([
    {
      title: 'stops as protocol error (exit 4) when a store reports a negative size',
      rules: () => [storeEntry('journal', (s) => (s.size = -1))],
      exit: 4,
      error: /malformed STORES reply from the terminal: stores\[0\]\.size is not a whole number/,
    },
    {
      title: 'stops as protocol error (exit 4) when a store reports an absurd size',
      rules: () => [storeEntry('saf', (s) => (s.size = 2 ** 53))],
      exit: 4,
      error: /stores\[2\]\.size is not a whole number/,
    },
    {
      title:
        'stops as protocol error (exit 4) when a store claims a terabyte the terminal then will not read',
      rules: () => [storeEntry('config', (s) => (s.size = 2 ** 40))],
      exit: 4,
      error: /terminal refused READ: RANGE/,
    },
    {
      title:
        'stops as an anomaly (exit 6) before anything is erased when a store shrinks between two STORES answers with no erase between them',
      rules: () => [storeEntry('config', (s) => (s.size = 2 ** 40), true)],
      exit: 6,
      error: /contradict each other: config shrank from 1099511627776 bytes/,
      check: (_run, proxy) => expect(Object.values(proxy.eraseCounts())).toEqual([0, 0, 0, 0, 0, 0]),
    },
    {
      title: 'stops as protocol error (exit 4) when a READ answer names a negative offset',
      rules: () => [firstRead('journal', (p) => patched(p.frame, { offset: -4096 }))],
      exit: 4,
      error: /malformed READ reply from the terminal: offset is not a whole number/,
    },
    {
      title: 'stops as protocol error (exit 4) when a READ answer declares an absurd length',
      rules: () => [firstRead('journal', (p) => patched(p.frame, { length: 2 ** 31 }))],
      exit: 4,
      error: /malformed READ reply from the terminal: length is not a whole number/,
    },
    {
      title: 'stops as hostile (exit 4) when a READ returns data beyond the size the store reported',
      rules: () => [
        storeEntry('config', (s) => (s.size = Number(s.size) - 100)),
        reply('READ', (p, w) => {
          if (p.frame.header.store !== 'config') return undefined;
          const bytes = readBytes(p.frame, w);
          return readReply(p.frame, Buffer.concat([bytes, Buffer.alloc(100, 0x41)]), w);
        }),
      ],
      exit: 4,
      error: /READ reply for 0\+\d+ of config names 0\+\d+ of another range/,
    },
    {
      title: 'stops as hostile (exit 4) when a READ inside the store returns no bytes at all',
      rules: () => [firstRead('settlements', (p, w) => readReply(p.frame, Buffer.alloc(0), w))],
      exit: 4,
      error: /returned no bytes at offset 0 of settlements, inside the size it reported/,
    },
    {
      title: 'stops as hostile (exit 4) when erase progress claims more done than there is',
      rules: () => [
        reply('ERASE_STATUS', (p) =>
          patched(p.frame, { state: 'running', done: 2 ** 30, total: Number(p.frame.header.total) }),
        ),
      ],
      exit: 4,
      error: /ERASE_STATUS reports 1073741824 bytes done of \d+, more than there is/,
    },
    {
      title: 'stops before any erase (exit 7) when a store is larger than it said',
      rules: () => [storeEntry('journal', (s) => (s.size = Number(s.size) - 1000))],
      exit: 7,
      error: backupStopped('journal'),
      check: (run) => expect(run.summary.certificate).not.toBeNull(),
    },
    {
      title: 'stops before any erase (exit 7) when a store digest does not match its data',
      rules: () => [
        storeEntry('batch', (s) => (s.sha256 = createHash('sha256').update('not the batch').digest('hex'))),
      ],
      exit: 7,
      error: backupStopped('batch'),
    },
    {
      title: 'stops before any erase (exit 7) when READ data is altered under a valid CRC',
      rules: () => [
        firstRead('saf', (p, w) => {
          const bytes = Buffer.from(readBytes(p.frame, w));
          const at = bytes.length >> 1;
          bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
          return readReply(p.frame, bytes, w);
        }),
      ],
      exit: 7,
      error: backupStopped('saf'),
    },
    {
      title: 'stops as protocol error (exit 4) when a store digest is not lower-case hex',
      rules: () => [
        storeEntry('logs', (s) => (s.sha256 = String(s.sha256).toUpperCase().replace(/^./, 'Z'))),
      ],
      exit: 4,
      error: /stores\[4\]\.sha256 has an unexpected form/,
    },
  ]);
});

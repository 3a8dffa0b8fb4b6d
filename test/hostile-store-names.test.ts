import { join } from 'node:path';
import { describe } from 'vitest';
import { hostileCases } from './helpers/hostile-cases.js';
import { frameLine, patched, type Rule } from './helpers/hostile-proxy.js';

/**
 * Store names chosen to escape DIR if the agent ever used one as a path (SPEC.md s.9). The
 * terminal is consistent about it: the proxy renames the store in every reply and maps the name
 * back in every request, so the terminal really has a store by that name.
 */

function renameStore(real: string, hostile: string): Rule {
  const swap = (value: unknown, from: string, to: string) => (value === from ? to : value);
  return {
    toTerminal: (p) => (p.frame.header.store === hostile ? patched(p.frame, { store: real }) : undefined),
    toAgent: (p) => {
      const h = p.frame.header;
      if (p.frame.type === 'HELLO' && p.frame.kind === 'R') {
        const caps = h.caps as { stores: string[] };
        return patched(p.frame, {
          caps: { ...caps, stores: caps.stores.map((s) => swap(s, real, hostile)) },
        });
      }
      if (p.frame.type === 'STORES' && Array.isArray(h.stores)) {
        const stores = (h.stores as { name: string }[]).map((s) => ({
          ...s,
          name: swap(s.name, real, hostile),
        }));
        return patched(p.frame, { stores });
      }
      return h.store === real ? patched(p.frame, { store: hostile }) : undefined;
    },
  };
}

const storesReply = (edit: (stores: Record<string, unknown>[]) => void): Rule => ({
  toAgent: (p) => {
    if (p.frame.kind !== 'R' || p.frame.type !== 'STORES') return undefined;
    const stores = structuredClone(p.frame.header.stores) as Record<string, unknown>[];
    edit(stores);
    return frameLine({ ...p.frame, header: { ...p.frame.header, stores } });
  },
});

describe('hostile terminal: store names', () => {
  hostileCases([
    {
      title: 'refuses (exit 4) a store named ../../etc/passwd and writes nothing outside DIR',
      rules: () => [renameStore('journal', '../../etc/passwd')],
      exit: 4,
      error:
        /malformed (HELLO|STORES) reply from the terminal: .*stores\[0\](\.name)? is not a plain store name/,
    },
    {
      title: 'refuses (exit 4) a store named by an absolute path into the parent of DIR',
      rules: (dir) => [renameStore('batch', join(dir, '..', '..', '..', 'escaped'))],
      exit: 4,
      error: /is not a plain store name/,
    },
    {
      title: 'refuses (exit 4) a store named by a Windows path with backslashes',
      rules: () => [renameStore('saf', '..\\..\\Windows\\System32\\config')],
      exit: 4,
      error: /is not a plain store name/,
    },
    {
      title: 'refuses (exit 4) a store named after a reserved device',
      rules: () => [renameStore('logs', 'COM1')],
      exit: 4,
      error: /is not a plain store name/,
    },
    {
      title: 'refuses (exit 4) a store whose name hides behind a leading dot',
      rules: () => [renameStore('config', '.ssh')],
      exit: 4,
      error: /is not a plain store name/,
    },
    {
      title: 'refuses (exit 4) a STORES list that names the same store twice',
      rules: () => [
        storesReply((stores) => {
          stores[1]!.name = stores[0]!.name;
        }),
      ],
      exit: 4,
      error: /STORES lists journal twice/,
    },
  ]);
});

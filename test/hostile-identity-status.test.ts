import { describe, expect } from 'vitest';
import { hostileCases } from './helpers/hostile-cases.js';
import { frameLine, patched, type Rule } from './helpers/hostile-proxy.js';

/** A terminal that changes who it is, contradicts itself, or answers "done" without doing it. */

const reply = (type: string, edit: Required<Rule>['toAgent']): Rule => ({
  toAgent: (p, w) => (p.frame.kind === 'R' && p.frame.type === type ? edit(p, w) : undefined),
});

const OTHER_SERIAL = 'KC4200000001';

/** After the agent has sent a request of `type`, every later answer of `answer` is edited. */
function after(type: string, answer: string, edit: Required<Rule>['toAgent']): Rule {
  let seen = false;
  return {
    toTerminal: (p) => {
      if (p.frame.type === type) seen = true;
      return undefined;
    },
    toAgent: (p, w) => (seen && p.frame.kind === 'R' && p.frame.type === answer ? edit(p, w) : undefined),
  };
}

const refusal = (code: string, message: string) => (p: { frame: Parameters<typeof frameLine>[0] }) =>
  frameLine({ ...p.frame, header: { ok: false, code, message } });

describe('hostile terminal: identity and self-contradiction', () => {
  hostileCases([
    {
      title: 'stops as an anomaly (exit 6) when the terminal names another serial number at inventory',
      rules: () => [
        reply('IDENTIFY', (p) => (p.nth === 2 ? patched(p.frame, { serial: OTHER_SERIAL }) : undefined)),
      ],
      exit: 6,
      error: new RegExp(`identifies as .*${OTHER_SERIAL}, not .*KC4\\d+; stopping`),
    },
    {
      title: 'stops as an anomaly (exit 6) when another terminal answers after a reconnect',
      rules: () => [
        {
          toAgent: (p, w) => {
            if (w.connection === 1 && p.frame.type === 'STORES') {
              w.hangUp();
              return 'drop';
            }
            if (w.connection > 1 && p.frame.type === 'IDENTIFY')
              return patched(p.frame, { serial: OTHER_SERIAL });
            return undefined;
          },
        },
      ],
      exit: 6,
      error: new RegExp(`after reconnecting, the terminal identifies as .*${OTHER_SERIAL}`),
    },
    {
      title: 'stops as an anomaly (exit 6) when the terminal names another model after unbinding',
      rules: () => [after('UNBIND', 'IDENTIFY', (p) => patched(p.frame, { model: 'KPS X999' }))],
      exit: 6,
      error: /identifies as .*KPS X999.*, not .*KPS C420/,
    },
    {
      title: 'stops as hostile (exit 4) when STATUS shows no open batch that still holds transactions',
      rules: () => [
        reply('STATUS', (p) =>
          patched(p.frame, { batch: { ...(p.frame.header.batch as object), open: false } }),
        ),
      ],
      exit: 4,
      error: /STATUS contradicts itself: no batch is open, yet it holds \d+ transactions/,
    },
    {
      title: 'stops as hostile (exit 4) when STATUS says decommissioned while still bound',
      rules: () => [reply('STATUS', (p) => patched(p.frame, { state: 'decommissioned' }))],
      exit: 4,
      error: /STATUS contradicts itself: decommissioned, yet still bound/,
    },
    {
      title: 'stops as hostile (exit 4) when IDENTIFY says unbound but STATUS says bound',
      rules: () => [reply('IDENTIFY', (p) => patched(p.frame, { tid: null, mid: null, acquirer: null }))],
      exit: 4,
      error: /IDENTIFY reports no TID or MID, but STATUS says bound/,
    },
    {
      title: 'stops as hostile (exit 4) when IDENTIFY and STATUS disagree on whether it is decommissioned',
      rules: () => [
        reply('IDENTIFY', (p) => (p.nth === 2 ? patched(p.frame, { state: 'decommissioned' }) : undefined)),
      ],
      exit: 4,
      error: /IDENTIFY says decommissioned, but STATUS says active/,
    },
    {
      title:
        'stops before anything is erased (exit 6) when a channel stays on after the terminal said it was switched off',
      rules: () => [
        after('CHANNEL', 'STATUS', (p) =>
          patched(p.frame, { channels: { ...(p.frame.header.channels as object), nfc: 'on' } }),
        ),
      ],
      exit: 6,
      error: /payment acceptance could not be confirmed off/,
      check: (_run, proxy) => expect(Object.values(proxy.eraseCounts())).toEqual([0, 0, 0, 0, 0, 0]),
    },
    {
      title:
        'stops before anything is erased (exit 6) when the batch is still open after the terminal said it settled',
      rules: () => [
        after('SETTLE', 'STATUS', (p) =>
          patched(p.frame, { batch: { open: true, count: 3, totals: [{ currency: 'USD', minor: 300 }] } }),
        ),
      ],
      exit: 6,
      error: /the open batch could not be settled/,
      check: (_run, proxy) => expect(Object.values(proxy.eraseCounts())).toEqual([0, 0, 0, 0, 0, 0]),
    },
    {
      title: 'stops as protocol error (exit 4) when the terminal accepts AUTH and then demands it again',
      rules: () => [reply('CHANNEL', refusal('AUTH_REQUIRED', 'authorize first'))],
      exit: 4,
      error: /terminal refused CHANNEL: AUTH_REQUIRED/,
    },
    {
      title: 'stops as hostile (exit 4) when the ERASE answer names another store',
      rules: () => [
        reply('ERASE', (p) => patched(p.frame, { store: p.frame.header.store === 'logs' ? 'saf' : 'logs' })),
      ],
      exit: 4,
      error: /ERASE reply names (logs|saf)\/.*, not journal\//,
    },
    {
      title:
        'fails key zeroization (exit 8) when keys are still loaded after the terminal said it zeroized them',
      rules: () => {
        let slots: unknown;
        return [
          {
            toAgent: (p) => {
              if (p.frame.kind !== 'R' || p.frame.type !== 'KEYS') return undefined;
              if (p.nth === 1) {
                slots = p.frame.header.slots;
                return undefined;
              }
              return patched(p.frame, { slots });
            },
          },
        ];
      },
      exit: 8,
      error: /key check values remain after zeroize/,
      check: (run) =>
        expect(run.summary.steps.find((s) => s.step === 'key-zeroization')).toMatchObject({ result: 'FAIL' }),
    },
    {
      title: 'fails unbinding (exit 8) when the TID is still set after the terminal said it unbound',
      rules: () => {
        let bound: Record<string, unknown> | undefined;
        return [
          reply('IDENTIFY', (p) => {
            if (p.nth === 1) {
              bound = p.frame.header;
              return undefined;
            }
            return bound && p.frame.header.tid === null
              ? patched(p.frame, { tid: bound.tid, mid: bound.mid, acquirer: bound.acquirer })
              : undefined;
          }),
        ];
      },
      exit: 8,
      error: /TID\/MID still set after unbind/,
      check: (run) =>
        expect(run.summary.steps.find((s) => s.step === 'unbind')).toMatchObject({ result: 'FAIL' }),
    },
  ]);
});

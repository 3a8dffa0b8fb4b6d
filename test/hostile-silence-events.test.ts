import { describe, expect } from 'vitest';
import { FAILS_AT_FIRST_REQUEST, hostileCases } from './helpers/hostile-cases.js';
import { frameLine, type Rule } from './helpers/hostile-proxy.js';

/** A terminal that goes quiet after a destructive request, or talks without answering (SPEC.md s.6.19, s.7.2). */

/** Passes the answer to the first `type` request, then nothing the terminal says ever arrives. */
const silentAfter = (type: string): Rule => ({
  toAgent: (p, w) => {
    if (p.frame.kind !== 'R' || p.frame.type !== type) return undefined;
    w.silence();
    return 'drop';
  },
});

const event = (seq: number, type: string, header: Record<string, unknown>) =>
  frameLine({ seq: (seq % 0xffff) + 1, kind: 'E', type, header });

/** Quick HELLOs, so the reconnect attempts inside the 1 s wait end soon after it. */
const QUICK = { requestTimeoutMs: 400, helloTimeoutMs: 300 };

describe('hostile terminal: silence and events', () => {
  hostileCases([
    {
      title:
        'stops as interrupted (exit 9) when the terminal goes silent after accepting an ERASE, erasing nothing more',
      rules: () => [silentAfter('ERASE')],
      exit: 9,
      error:
        /the terminal did not come back within 1 s \(terminal silent: no valid answer to HELLO.*--resume/,
      session: QUICK,
      reconnectWaitMs: 1000,
      check: (_run, proxy) => expect(Object.values(proxy.eraseCounts())).toEqual([1, 0, 0, 0, 0, 0]),
    },
    {
      title: 'stops as interrupted (exit 9) when the terminal goes silent after accepting UNBIND',
      rules: () => [silentAfter('UNBIND')],
      exit: 9,
      error: /the terminal did not come back within 1 s .*--resume/,
      session: QUICK,
      reconnectWaitMs: 1000,
    },
    {
      title: 'stops as hostile (exit 4) when a flood of events arrives instead of an answer',
      rules: () => [
        {
          toAgent: (p) =>
            p.frame.kind === 'R' && p.frame.type === 'STATUS'
              ? [
                  ...Array.from({ length: 3000 }, (_, i) =>
                    event(i, 'BATTERY', { percent: i % 100, charging: true }),
                  ),
                  Buffer.concat([p.line, Buffer.of(0x0a)]),
                ]
              : undefined,
        },
      ],
      exit: 4,
      error: /the terminal sent more than \d+ events in a second/,
    },
    {
      title: 'stops as a silent link (exit 3) when the terminal keeps sending events but never answers',
      rules: () => [
        {
          onAttach: (w) => {
            let n = 0;
            const tick = () => {
              if (w.closed) return;
              w.toAgent(event(n++, 'CARD', { channel: 'nfc' }));
              setTimeout(tick, 100);
            };
            tick();
          },
          toAgent: (p) => (p.frame.kind === 'R' && p.frame.type === 'IDENTIFY' ? 'drop' : undefined),
        },
      ],
      session: FAILS_AT_FIRST_REQUEST,
      exit: 3,
      error: /terminal silent: no valid answer to IDENTIFY after 4 attempts/,
    },
  ]);
});

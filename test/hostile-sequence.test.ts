import { describe } from 'vitest';
import type { Frame } from '../protocol/line/frame.js';
import { FAILS_AT_FIRST_REQUEST, hostileCases } from './helpers/hostile-cases.js';
import { frameLine, type Rule } from './helpers/hostile-proxy.js';

/** Well-formed frames in the wrong place: sequence numbers, kinds and types (SPEC.md s.3, s.7). */

const reply = (type: string, edit: Required<Rule>['toAgent']): Rule => ({
  toAgent: (p, w) => (p.frame.kind === 'R' && p.frame.type === type ? edit(p, w) : undefined),
});

describe('hostile terminal: sequence numbers and correlation', () => {
  hostileCases([
    {
      title: 'stops as hostile (exit 4) when the terminal answers STATUS under a sequence number never used',
      rules: () => [reply('STATUS', (p) => frameLine({ ...p.frame, seq: p.frame.seq ^ 0x4000 }))],
      exit: 4,
      error: /answered STATUS 4 times with frames that do not answer it.*unexpected: 4/,
    },
    {
      title:
        'stops as hostile (exit 4) when the terminal repeats an earlier answer instead of answering KEYS',
      rules: () => {
        let previous: Buffer | undefined;
        return [
          {
            toAgent: (p) => {
              if (p.frame.kind !== 'R') return undefined;
              if (p.frame.type !== 'KEYS') {
                previous = Buffer.concat([p.line, Buffer.of(0x0a)]);
                return undefined;
              }
              return previous;
            },
          },
        ];
      },
      exit: 4,
      error: /answered KEYS 4 times with frames that do not answer it.*unexpected/,
    },
    {
      title: 'stops as hostile (exit 4) when the answer carries the right sequence number but another type',
      rules: () => [
        reply('IDENTIFY', (p) => (p.nth === 2 ? frameLine({ ...p.frame, type: 'STATUS' }) : undefined)),
      ],
      exit: 4,
      error: /answered IDENTIFY 4 times with frames that do not answer it/,
    },
    {
      title: 'stops as hostile (exit 4) on a burst of replies to requests that were never sent',
      rules: () => [
        reply('STATUS', (p) => [
          ...Array.from({ length: 70 }, (_, i) =>
            frameLine({
              seq: 0x7000 + i,
              kind: 'R',
              type: 'ERASE',
              header: { ok: true, op: 'x', store: 'journal', method: 'crypto', passes: 1, state: 'done' },
            }),
          ),
          Buffer.concat([p.line, Buffer.of(0x0a)]),
        ]),
      ],
      exit: 4,
      error: /invalid frames in a row \(last: unexpected\)/,
    },
    {
      title: 'stops as hostile (exit 4) when the terminal sends requests of its own instead of answers',
      rules: () => [
        reply('STATUS', (p) => frameLine({ seq: p.frame.seq, kind: 'Q', type: 'STATUS', header: {} })),
      ],
      exit: 4,
      error: /answered STATUS 4 times with frames that do not answer it/,
    },
    {
      title: 'stops as hostile (exit 4) when two READ answers arrive under each other’s sequence numbers',
      rules: () => {
        let held: Frame | undefined;
        return [
          reply('READ', (p) => {
            if (p.nth === 1) {
              held = p.frame;
              return 'drop';
            }
            if (p.nth !== 2 || !held) return undefined;
            return [frameLine({ ...p.frame, seq: held.seq }), frameLine({ ...held, seq: p.frame.seq })];
          }),
        ];
      },
      exit: 4,
      error: /READ reply for 0\+\d+ of journal names \d+\+\d+ of another range/,
    },
    {
      title:
        'stops as a silent link (exit 3) when the terminal reports every request it is sent as unreadable',
      rules: () => [
        {
          toTerminal: (p, w) => {
            if (p.frame.type !== 'IDENTIFY') return undefined;
            w.toAgent(
              frameLine({ seq: p.frame.seq, kind: 'X', type: 'BADFRAME', header: { reason: 'crc' } }),
            );
            return 'drop';
          },
        },
      ],
      session: FAILS_AT_FIRST_REQUEST,
      exit: 3,
      error: /no valid answer to IDENTIFY.*could not read/,
    },
  ]);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { FAILS_AT_FIRST_REQUEST, hostileCases } from './helpers/hostile-cases.js';
import { badCrc, HostileProxy, type Rule } from './helpers/hostile-proxy.js';
import { runJob } from './helpers/job-harness.js';

/** Bytes that are not frames: too long, never ending, corrupt, cut off (SPEC.md s.2.3). */

const overlong = (bytes: number) => Buffer.concat([Buffer.alloc(bytes, 0x41), Buffer.of(0x0a)]);

const replaceReply = (type: string, lines: (line: Buffer) => Buffer | Buffer[]): Rule => ({
  toAgent: (p) => (p.frame.kind === 'R' && p.frame.type === type ? lines(p.line) : undefined),
});

describe('hostile terminal: framing', () => {
  it('decommissions a terminal with PASS through a proxy that changes nothing (the corpus control)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'posdecom-hostile-control-'));
    const sim = await SimulatedTerminal.create({ model: 'countertop', seed: 7, storeScale: 0.125 });
    const proxy = new HostileProxy(sim, [{ toAgent: () => undefined }]);
    try {
      const run = await runJob({ peer: proxy, dir: join(root, 'out') });
      expect(run.exitCode, run.output).toBe(0);
      expect(run.summary.overall).toBe('PASS');
      expect(proxy.eraseCountsAtAnomaly).toBeUndefined();
      for (const store of sim.storeNames) expect(sim.eraseCount(store)).toBe(1);
    } finally {
      await sim.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  hostileCases([
    {
      title: 'stops as a silent link (exit 3) when every answer to IDENTIFY is a line longer than any frame',
      rules: () => [replaceReply('IDENTIFY', () => overlong(300_000))],
      session: FAILS_AT_FIRST_REQUEST,
      exit: 3,
      error: /IDENTIFY.*overlong/,
    },
    {
      title: 'stops as hostile (exit 4) when the terminal floods the link with overlong lines',
      rules: () => [replaceReply('STATUS', () => Array.from({ length: 80 }, () => overlong(70_000)))],
      exit: 4,
      error: /invalid frames in a row.*overlong/,
    },
    {
      title: 'stops as a silent link (exit 3) when the terminal sends bytes without end and never a newline',
      rules: () => {
        let pumping = false;
        return [
          {
            toAgent: (p, w) => {
              if (p.frame.type !== 'IDENTIFY') return undefined;
              if (!pumping) {
                pumping = true;
                const chunk = Buffer.alloc(64 * 1024, 0x5a);
                const pump = () => {
                  if (w.closed) return;
                  w.toAgent(chunk);
                  setTimeout(pump, 2);
                };
                pump();
              }
              return 'drop';
            },
          },
        ];
      },
      session: FAILS_AT_FIRST_REQUEST,
      exit: 3,
      error: /IDENTIFY.*bytes of a line that does not end/,
    },
    {
      title: 'stops on a link fault (exit 3) on a storm of frames with bad CRCs, as SPEC.md s.2.3 requires',
      rules: () => [replaceReply('STATUS', (line) => Array.from({ length: 80 }, () => badCrc(line)))],
      exit: 3,
      error:
        /no intact answer to STATUS after \d+ attempts: line noise corrupts the terminal's frames \(dropped crc/,
    },
    {
      title: 'stops as a silent link (exit 3) when every answer to IDENTIFY has a bad CRC',
      rules: () => [replaceReply('IDENTIFY', (line) => badCrc(line))],
      session: FAILS_AT_FIRST_REQUEST,
      exit: 3,
      error: /IDENTIFY.*crc/,
    },
    {
      title:
        'stops on a lost link (exit 3) when the terminal hangs up mid-frame every time it is asked for STATUS',
      rules: () => [
        {
          toAgent: (p, w) => {
            if (p.frame.type !== 'STATUS') return undefined;
            w.toAgent(p.line.subarray(0, 20));
            setTimeout(() => w.hangUp(), 5);
            return 'drop';
          },
        },
      ],
      exit: 3,
      error: /link lost/,
    },
  ]);
});

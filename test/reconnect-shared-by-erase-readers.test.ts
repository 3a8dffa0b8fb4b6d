import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../agent/journal.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { HostileProxy, type Rule } from './helpers/hostile-proxy.js';
import { runJob, testPki } from './helpers/job-harness.js';

/**
 * Erase verification reads eight blocks at once. A cable pulled while they are in flight fails
 * all eight, and each used to reconnect on its own: eight HELLOs racing for one terminal (issue
 * 12). Now one reconnect serves them all, and the read-back goes on.
 */

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await (await testPki()).dispose();
});

describe('a cable pulled during erase verification', () => {
  it('is reconnected once, for every reader, and the job still ends PASS', async () => {
    root = await mkdtemp(join(tmpdir(), 'posdecom-shared-reconnect-'));
    const dir = join(root, 'job');
    const terminal = await SimulatedTerminal.create({
      model: 'countertop',
      seed: 12,
      storeScale: 0.25,
      eraseBytesPerSecond: 1024 ** 3,
    });
    let verifying = false;
    let reads = 0;
    let connections = 0;
    const pull: Rule = {
      onAttach: () => void connections++,
      toTerminal: (p, w) => {
        if (p.frame.type === 'VERIFY_ERASE' && p.frame.header.store === 'journal') verifying = true;
        // The fifth read-back READ of journal: several are in flight when the cable goes.
        if (verifying && p.frame.type === 'READ' && p.frame.header.store === 'journal' && ++reads === 5) {
          w.hangUp();
          return 'drop';
        }
        return undefined;
      },
    };
    try {
      const run = await runJob({ peer: new HostileProxy(terminal, [pull]), dir });
      expect(run.exitCode, run.output).toBe(0);
      expect(reads).toBeGreaterThanOrEqual(5);
      const losses = Journal.read(join(dir, 'journal.jsonl')).filter(
        (e) => e.type === 'note' && e.data?.event === 'link-lost',
      );
      expect(losses.map((e) => e.data?.during)).toEqual(['read journal']);
      expect(connections, 'links opened: the first and one reconnect').toBe(2);
      expect(terminal.stats().executed.HELLO).toBe(2);
      expect(run.output.match(/terminal back; continuing/g)).toHaveLength(1);
    } finally {
      await terminal.close();
    }
  });
});

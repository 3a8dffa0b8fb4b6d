import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import { HostileProxy, frameLine } from './helpers/hostile-proxy.js';
import { runJob } from './helpers/job-harness.js';

describe('a tamper event during the job', () => {
  it('is shown to the technician and recorded in the journal and the audit log', async () => {
    const sim = await SimulatedTerminal.create({ model: 'countertop', seed: 61 });
    let sent = false;
    const proxy = new HostileProxy(sim, [
      {
        toAgent: (p) => {
          if (sent || p.frame.kind !== 'R' || p.frame.type !== 'STATUS') return undefined;
          sent = true;
          const tamper = frameLine({ seq: 1, kind: 'E', type: 'TAMPER', header: { detail: 'case opened' } });
          return [tamper, Buffer.concat([p.line, Buffer.of(0x0a)])];
        },
      },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'posdecom-tamper-'));
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode).toBe(0);
    expect(run.output).toMatch(/the terminal reports tampering: case opened/);
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    expect(journal).toMatch(/"event":"tamper","detail":"case opened"/);
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toMatch(/tamper event/);
    await sim.close();
  });
});

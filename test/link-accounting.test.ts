import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../protocol/line/frame.js';
import { SimulatedTerminal } from '../protocol/line/terminal/index.js';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { HostileProxy } from './helpers/hostile-proxy.js';
import { runJob } from './helpers/job-harness.js';

/**
 * SPEC.md s.2.3 says a receiver reports what it drops. A job whose terminal sends 25 corrupted
 * frames, 31 responses to nothing and 60 events no version defines says so, in the step they
 * came in: its record in the journal and the certificate (`evidence.link`) and its line in the
 * audit log.
 */
const open: SimulatedTerminal[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function corrupted(i: number): Buffer {
  const line = encodeFrame({ seq: 0xfff0, kind: 'R', type: 'STATUS', header: { ok: true, n: i } });
  const bad = Buffer.from(line);
  bad[20] = bad[20]! ^ 0x01; // inside the header: the CRC no longer matches
  return bad;
}

describe('frames dropped on the link', () => {
  it('are counted per step, in the journal, the certificate and the audit log', async () => {
    const sim = await SimulatedTerminal.create({ model: 'countertop', seed: 93 });
    open.push(sim);
    const proxy = new HostileProxy(sim, [
      {
        toAgent: (p) => {
          if (p.frame.kind !== 'R' || p.frame.type !== 'NETWORK' || p.nth !== 1) return undefined;
          return [
            ...Array.from({ length: 25 }, (_, i) => corrupted(i)),
            ...Array.from({ length: 60 }, (_, i) =>
              encodeFrame({ seq: 0x100 + i, kind: 'E', type: 'FIRMWARE_NOTICE', header: { n: i } }),
            ),
            ...Array.from({ length: 31 }, (_, i) =>
              encodeFrame({ seq: 0xfe00 + i, kind: 'R', type: 'PING', header: { ok: true } }),
            ),
            Buffer.concat([p.line, Buffer.from('\n')]),
          ];
        },
      },
    ]);
    dir = mkdtempSync(join(tmpdir(), 'posdecom-link-'));
    const run = await runJob({ peer: proxy, dir });
    expect(run.exitCode, run.output).toBe(0);

    const cert = JSON.parse(readFileSync(join(dir, 'certificate.json'), 'utf8')) as WipeCertificate;
    const network = cert.steps.find((s) => s.step === 'network-down')!;
    expect(network.evidence.link).toMatchObject({ corrupted: 25, unsolicited: 31, unknownEvents: 60 });
    // Every other step saw a clean line, and says that too.
    for (const s of cert.steps.filter((x) => x.step !== 'network-down')) {
      expect(s.evidence.link, `${s.step} ${s.target ?? ''}`).toMatchObject({
        corrupted: 0,
        unsolicited: 0,
        unknownEvents: 0,
      });
    }

    const audit = readFileSync(join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; step?: string; link?: Record<string, number> });
    const finished = audit.find((l) => l.msg === 'step finished' && l.step === 'network-down')!;
    expect(finished.link).toMatchObject({ corrupted: 25, unsolicited: 31, unknownEvents: 60 });
    const totals = audit.find((l) => l.msg === 'link totals for the job')!;
    expect(totals.link).toMatchObject({ corrupted: 25, unsolicited: 31, unknownEvents: 60 });
  });
});

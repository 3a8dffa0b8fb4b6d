import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedZvtTerminal } from '../../protocol/zvt/terminal/index.js';
import { signingArgs } from './cli.js';

/**
 * A ZVT decommission through the CLI, run again and again (killed, resumed) against the same
 * simulated terminal: its state in a file, its password in the environment (never on the
 * command line), a work order naming its serial. What the terminal holds is read from a
 * throw-away copy of it first.
 */
export interface ZvtCliJob {
  terminal: { serial: string; files: { id: number; name: string }[] };
  root: string;
  out: string;
  journal: string;
  state: string;
  env: Record<string, string>;
  args: (...extra: string[]) => string[];
}

export async function zvtCliJob(o: {
  seed: number;
  scale: number;
  name: string;
  /** Appended to the `sim:zvt` port (e.g. `&block=65000&turnaround=60`). */
  query?: string;
  pki: { passphrase: string } & Parameters<typeof signingArgs>[0];
}): Promise<ZvtCliJob> {
  const probe = await SimulatedZvtTerminal.create({ seed: o.seed, fileScale: o.scale });
  const who = probe.workOrderFor();
  const files = probe.snapshot().files.map((f) => ({ id: f.id, name: f.name }));
  await probe.close();
  const root = mkdtempSync(join(tmpdir(), `posdecom-${o.name}-`));
  const workOrder = join(root, 'wo.json');
  const passwordEnv = 'POSDECOM_TEST_ZVT_PASSWORD';
  writeFileSync(
    workOrder,
    JSON.stringify({
      id: `WO-${o.name.toUpperCase()}`,
      terminal: { serial: who.serial },
      reason: 'end-of-lease',
      owner: { merchant: 'M', location: 'L' },
      technician: {
        name: 'Test Technician',
        organisation: 'Test Estate Ltd',
        contact: 'technician@example.org',
      },
      destination: 'recycling',
      authority: { reference: 'AUTH' },
      zvt: { passwordEnv },
    }),
  );
  const out = join(root, 'out');
  const state = join(root, 'terminal.json');
  const port = `sim:zvt?seed=${o.seed}&scale=${o.scale}${o.query ?? ''}&state=${state}`;
  return {
    terminal: { serial: who.serial, files },
    root,
    out,
    journal: join(out, 'journal.jsonl'),
    state,
    env: {
      POSDECOM_KEY_PASSPHRASE: o.pki.passphrase,
      POSDECOM_SIGN_PASSPHRASE: o.pki.passphrase,
      [passwordEnv]: who.password,
    },
    args: (...extra) => [
      'decommission',
      ...['--port', port, '--work-order', workOrder, '--out', out, '--yes'],
      ...signingArgs(o.pki),
      ...extra,
    ],
  };
}

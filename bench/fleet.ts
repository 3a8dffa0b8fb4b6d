import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SimulatedTerminal, type ModelName } from '../protocol/line/terminal/index.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';

/**
 * What a decommission run on the command line needs besides the terminals: a throw-away
 * organisation PKI, and one work-order file listing every terminal by serial, each authority
 * code passed through its own environment variable (never a file).
 */
export const BENCH_PASSPHRASE = 'posdecom-bench';

export async function benchPki(dir: string): Promise<OrganisationPki> {
  return createOrganisationPki(dir, {
    passphrase: BENCH_PASSPHRASE,
    technicianName: 'Bench Technician',
    technicianEmail: 'bench@example.org',
    org: 'Bench Estate Ltd',
    // The key files only need to open; the bench measures the link, not the KDF.
    iterations: 1000,
  });
}

export interface FleetTerminal {
  seed: number;
  port: string;
  serial: string;
}

export interface Fleet {
  terminals: FleetTerminal[];
  workOrderPath: string;
  env: Record<string, string>;
}

/** `sim:` ports for `seeds`, paced as asked, and their work orders in one file. */
export async function prepareFleet(
  dir: string,
  model: ModelName,
  seeds: number[],
  params: string,
): Promise<Fleet> {
  await mkdir(dir, { recursive: true });
  const env: Record<string, string> = {};
  const terminals: FleetTerminal[] = [];
  const workOrders = [];
  for (const seed of seeds) {
    // Identity and authority code depend only on model and seed; this instance is discarded.
    const t = await SimulatedTerminal.create({ model, seed });
    const { serial, model: modelName } = t.identity;
    const codeEnv = `POSDECOM_BENCH_CODE_${seed}`;
    env[codeEnv] = t.authorityCode;
    await t.close();
    terminals.push({ seed, serial, port: `sim:${model}?seed=${seed}${params ? `&${params}` : ''}` });
    workOrders.push({
      id: `WO-BENCH-${seed}`,
      terminal: { serial, model: modelName },
      reason: 'end-of-lease',
      owner: { merchant: 'Bench Merchant', location: 'Bench' },
      technician: {
        name: 'Bench Technician',
        organisation: 'Bench Estate Ltd',
        contact: 'bench@example.org',
      },
      destination: 'recycling',
      authority: { reference: `BENCH-${serial}`, codeEnv },
    });
  }
  const workOrderPath = join(dir, 'work-orders.json');
  await writeFile(workOrderPath, JSON.stringify({ workOrders }, null, 2) + '\n', { mode: 0o600 });
  return { terminals, workOrderPath, env };
}

import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../protocol/transport/port-spec.js';
import { forgetSimulatedTerminals, registerSimulatedTerminal } from '../protocol/transport/sim-registry.js';
import { openLink } from '../protocol/transport/open-link.js';
import { SerialApduLink, ZvtClient } from '../protocol/zvt/index.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';
import { readWhole } from './helpers/zvt-rig.js';

/**
 * The simulated ZVT terminal as the agent will reach it: registered as an in-process peer, opened
 * through `openLink` (the serialport stream over the sim binding), and driven by the client on
 * the agent's own Link.
 */
describe("ZVT over the agent's serial pipeline", () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    forgetSimulatedTerminals();
  });

  it('settles, reads and deletes through openLink on a registered simulated terminal', async () => {
    const terminal = await SimulatedZvtTerminal.create({ seed: 5, files: { 3: { size: 6000 } } });
    open.push(terminal);
    registerSimulatedTerminal('sim:zvt?seed=5', terminal);
    const link = await openLink('sim:zvt?seed=5', DEFAULT_SETTINGS);
    const zvt = new SerialApduLink(link);
    open.push(zvt);
    const client = new ZvtClient(zvt, { password: terminal.workOrderFor().password });
    expect(await client.statusEnquiry()).toMatchObject({ ok: true, serial: terminal.workOrderFor().serial });
    expect((await client.endOfDay()).ok).toBe(true);
    const { bytes } = await readWhole(client, 3);
    expect(bytes.equals(terminal.fileBytes(3))).toBe(true);
    expect((await client.deleteFile(3)).ok).toBe(true);
    expect(zvt.counters).toMatchObject({ repeats: 0, naksReceived: 0, badCrc: 0 });
  });
});

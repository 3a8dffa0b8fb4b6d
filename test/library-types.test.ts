import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DecommissionOptions, WorkOrder } from '../api/index.js';
import type { TerminalState, WorkOrder as SimulatorWorkOrder } from '../api/simulator.js';
import type { KeySlotSnapshot, StoreSnapshot } from '../protocol/simulator/snapshot.js';
import { parseWorkOrders, type WorkOrder as AgentWorkOrder } from '../agent/work-order.js';
import type { DecommissionArgs } from '../agent/run/decommission.js';

/**
 * The library's types are declared in api/ (so the published declarations import nothing
 * internal) and must not drift from what the CLI takes. These comparisons are checked by
 * `npm run typecheck`: a field added to the work order or a choice added to a flag fails it
 * until the library follows.
 */

const everyField: WorkOrder = {
  id: 'WO-1',
  terminal: {
    serial: 'SN-1',
    model: 'countertop',
    tid: 'T1',
    mid: 'M1',
    assetTag: 'A-1',
    source: 'Shop',
    classification: 'confidential',
  },
  reason: 'end-of-lease',
  owner: { merchant: 'Shop', location: 'Main Street 1' },
  technician: { name: 'T', organisation: 'O', contact: 't@example.org', title: 'Tech', phone: '+1 555' },
  sanitizationLocation: 'Back office',
  destination: 'recycling',
  destinationDetails: 'Recycler Ltd',
  backupLocation: 'Vault 3',
  postSanitizationClassification: 'unclassified',
  authority: { reference: 'REF-1', codeEnv: 'CODE' },
};

describe('the library types', () => {
  it('take exactly the work order and the card-data choices the CLI takes, and the CLI accepts every field', () => {
    expectTypeOf<WorkOrder>().toEqualTypeOf<AgentWorkOrder>();
    expectTypeOf<SimulatorWorkOrder>().toEqualTypeOf<AgentWorkOrder>();
    expectTypeOf<NonNullable<DecommissionOptions['cardDataBackup']>>().toEqualTypeOf<
      NonNullable<DecommissionArgs['card-data-backup']>
    >();
    expect(parseWorkOrders(JSON.stringify(everyField), 'the test')).toEqual([everyField]);
  });

  it("describe each store and key slot of the simulator's ground truth as the simulators report them", () => {
    // api/simulator-types.ts words them anew for the published declarations; this keeps them equal.
    expectTypeOf<TerminalState['stores'][number]>().toEqualTypeOf<StoreSnapshot>();
    expectTypeOf<TerminalState['keys'][number]>().toEqualTypeOf<KeySlotSnapshot>();
  });
});

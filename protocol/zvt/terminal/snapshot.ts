import type { SimulatorSnapshot } from '../../simulator/snapshot.js';
import type { ZvtDevice } from './device.js';
import type { LinkCounters } from '../link/apdu-link.js';

export interface ZvtSnapshot {
  tid: string | null;
  configByte: number | null;
  batchCount: number;
  preauthPending: boolean;
  /**
   * Each file, and what its Read File blocks carried so far: `servedBytes` every byte sent (twice
   * sent, twice counted), `servedDistinct` the bytes ever sent; the ground truth a test counts.
   */
  files: {
    id: number;
    name: string;
    size: number;
    deleted: boolean;
    servedBytes: number;
    servedDistinct: number;
  }[];
  /** Commands received, by name (registration, readfile, ...), run or refused. */
  requests: Record<string, number>;
  protocolErrors: number;
  /** The current (or last) connection's link counters. */
  link: LinkCounters | undefined;
}

/**
 * The simulated ZVT terminal's ground truth in the words every simulated terminal shares
 * (protocol/simulator/snapshot.ts), for `sim:` tests and the integrator's kit. What ZVT has no
 * notion of is said so: no channels, links or keys, no MID, never decommissioned. A file is a
 * store; `readBytes` is what its Read File blocks carried (distinct bytes), and a deleted file
 * is erased by `delete`. Reads after a delete are refused (Abort 83), so `readBackBytes` is 0.
 */
export function genericSnapshot(device: ZvtDevice, z: ZvtSnapshot): SimulatorSnapshot {
  const link = z.link;
  return {
    identity: {
      vendor: 'unknown',
      model: device.identity.deviceName,
      serial: device.identity.serial,
      tid: z.tid,
      mid: null,
      state: 'active',
    },
    bound: z.tid !== null,
    decommissioned: false,
    channels: {},
    links: {},
    batch: { open: z.batchCount > 0, count: z.batchCount },
    // The simulated ZVT terminal keeps no store-and-forward queue (and ZVT could not show one).
    saf: { queued: 0 },
    stores: z.files.map((f) => ({
      name: f.name,
      kind: f.name === 'configuration' ? 'config' : 'file',
      size: f.size,
      cardData: f.name !== 'configuration',
      readBytes: f.servedDistinct,
      readWhole: f.servedDistinct >= f.size,
      readBackBytes: 0,
      erased: f.deleted,
      eraseMethod: f.deleted ? 'delete' : null,
      eraseCount: f.deleted ? 1 : 0,
      lied: false,
    })),
    keys: [],
    requests: { ...z.requests },
    frames: {
      received: link?.apdusReceived ?? 0,
      sent: link?.apdusSent ?? 0,
      duplicates: link?.duplicates ?? 0,
      bad: link ? link.badCrc + link.loneDle + link.truncated + link.overlong + link.lengthMismatch : 0,
    },
  };
}

import type { SimulatorSnapshot } from '../../simulator/snapshot.js';
import type { Counters } from './connection.js';
import type { Device } from './device.js';

/** The terminal's ground truth for a test (protocol/simulator/snapshot.ts), read off the device. */
export function snapshotOf(device: Device, counters: Counters): SimulatorSnapshot {
  const identity = device.identity();
  const zeroized = device.keys.zeroizedFlags();
  return {
    identity: {
      vendor: identity.vendor,
      model: identity.model,
      serial: identity.serial,
      tid: identity.tid,
      mid: identity.mid,
      state: identity.state,
    },
    bound: device.bound,
    decommissioned: device.decommissioned,
    channels: Object.fromEntries(device.channels),
    links: Object.fromEntries(device.links),
    batch: { open: device.batch.open, count: device.batch.count },
    saf: { queued: device.safQueue().count },
    stores: [...device.stores.values()].map((s) => ({
      name: s.name,
      kind: s.kind,
      size: s.size,
      cardData: s.cardData,
      readBytes: s.served.original.bytes,
      readWhole: s.served.original.covers(s.size),
      readBackBytes: s.served.afterErase.bytes,
      erased: s.state.erased,
      eraseMethod: s.state.method,
      eraseCount: s.state.eraseCount,
      lied: s.state.lied,
    })),
    keys: device.keys.slots().map((k, i) => ({
      slot: k.slot,
      type: k.type,
      kcv: k.kcv,
      zeroized: zeroized[i] === true,
    })),
    requests: { ...counters.executed },
    frames: {
      received: counters.framesIn,
      sent: counters.framesOut,
      duplicates: counters.duplicates,
      bad: counters.badFrames,
    },
  };
}

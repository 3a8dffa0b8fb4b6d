import { ErrorCode, PosdecomError } from '../../errors.js';
import type { ByteEndpoint } from '../../transport/memory-link.js';
import type { LinkCounters } from '../link/apdu-link.js';
import { ZvtConnection } from './connection.js';
import { ZvtDevice } from './device.js';
import { parseZvtFaults, type ZvtFaultSpec } from './faults.js';
import { genericSnapshot, type ZvtSnapshot } from './snapshot.js';
import type { SimulatorSnapshot } from '../../simulator/snapshot.js';
import { resolveZvtOptions, type SimZvtOptions } from './options.js';

export type { ZvtSnapshot } from './snapshot.js';

/** What a work order needs to name this terminal: its serial, TID and password. */
export interface ZvtWorkOrderTerminal {
  serial: string;
  tid: string | null;
  password: string;
  deviceName: string;
  swVersion: string;
}

/**
 * A ZVT payment terminal in software: the reference peer for the ECR side, on the same link
 * code, deterministic from its seed. `attach` takes a serial line (DLE framing, CRC, ACK/NAK),
 * `attachTcp` a native ZVT-over-TCP connection (raw APDUs). A new attachment hangs up the old
 * one, as plugging the cable into another port would.
 *
 * An AttachablePeer (protocol/transport/sim-registry.ts) by shape: `sim:zvt` reaches it there.
 */
export class SimulatedZvtTerminal {
  private connection: ZvtConnection | undefined;
  private lastLink: LinkCounters | undefined;
  private closed = false;

  private constructor(private readonly device: ZvtDevice) {}

  static async create(options: SimZvtOptions): Promise<SimulatedZvtTerminal> {
    return new SimulatedZvtTerminal(new ZvtDevice(resolveZvtOptions(options)));
  }

  /** Serial framing (PA00P016): what `sim:zvt`, a pty or a serial device carries. */
  attach(endpoint: ByteEndpoint): void {
    this.connect(endpoint, 'serial');
  }

  /** Other faults from now on, as `faults` text or object ('' for none). */
  setFaults(faults: ZvtFaultSpec | string): void {
    this.device.setFaults(typeof faults === 'string' ? parseZvtFaults(faults) : faults);
  }

  /** Native ZVT over TCP (port 20007): raw APDUs. */
  attachTcp(endpoint: ByteEndpoint): void {
    this.connect(endpoint, 'tcp');
  }

  snapshot(): ZvtSnapshot {
    const s = this.device.state;
    return {
      tid: s.tid,
      configByte: s.configByte,
      batchCount: s.batch.length,
      preauthPending: s.preauth !== null,
      files: [...this.device.files.values()].map((f) => ({
        id: f.spec.id,
        name: f.spec.name,
        size: f.spec.size,
        deleted: s.deletedFiles.includes(f.spec.id),
        servedBytes: this.device.served.get(f.spec.id)?.bytes ?? 0,
        servedDistinct: this.device.served.get(f.spec.id)?.distinct.bytes ?? 0,
      })),
      requests: { ...this.device.requests },
      protocolErrors: this.device.protocolErrors,
      link: this.lastLink ? { ...this.lastLink } : undefined,
    };
  }

  /** Ground truth for tests: the bytes a file holds, deleted or not. */
  fileBytes(id: number, offset = 0, length?: number): Buffer {
    const f = this.device.files.get(id);
    if (!f) throw new RangeError(`no file ${id} on this terminal`);
    const n = length ?? f.spec.size - offset;
    if (offset < 0 || n < 0 || offset + n > f.spec.size)
      throw new RangeError(`[${offset}, +${n}) is outside file ${id}`);
    return f.read(offset, n);
  }

  /** The same ground truth in the words every simulated terminal shares (`sim:` tests, the kit). */
  genericSnapshot(): SimulatorSnapshot {
    return genericSnapshot(this.device, this.snapshot());
  }

  workOrderFor(): ZvtWorkOrderTerminal {
    return {
      serial: this.device.identity.serial,
      tid: this.device.state.tid,
      password: this.device.state.password,
      deviceName: this.device.identity.deviceName,
      swVersion: this.device.identity.swVersion,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.device.persist();
    this.connection?.hangUp();
    this.connection = undefined;
    // Let the deferred hang-up reach the peer before the caller moves on.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private connect(endpoint: ByteEndpoint, framing: 'serial' | 'tcp'): void {
    if (this.closed)
      throw new PosdecomError(ErrorCode.TransportDisconnected, 'simulated ZVT terminal is closed');
    this.connection?.hangUp();
    const c = new ZvtConnection(this.device, endpoint, framing, (gone) => {
      if (this.connection === gone) this.connection = undefined;
    });
    this.connection = c;
    this.lastLink = c.link.counters;
  }
}

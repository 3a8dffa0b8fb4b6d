import { Ambient } from './ambient.js';
import { Connection, type Counters } from './connection.js';
import { Device } from './device.js';
import { resolveOptions, type SimOptions } from './options.js';
import type { FaultSpec } from './faults.js';
import { snapshotOf } from './snapshot.js';
import type { SimulatorSnapshot } from '../../simulator/snapshot.js';
import { runSync } from '../../simulator/steps.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { Identity } from '../../domain.js';
import type { ByteEndpoint } from '../../transport/memory-link.js';

export interface GroundTruth {
  channels: Record<string, boolean>;
  links: Record<string, boolean>;
  batchOpen: boolean;
  /** Payments still waiting in the SAF queue (SPEC.md s.6.20). */
  safQueued: number;
  bound: boolean;
  decommissioned: boolean;
  keysLoaded: boolean[];
  stores: Record<string, { size: number; erasedBytes: boolean }>;
}

/**
 * The simulated payment terminal: the protocol's reference peer (SPEC.md). A Device (what a
 * power cycle keeps) behind at most one Connection at a time (what a cable pull loses).
 *
 *   endpoint --bytes--> Connection: Framer -> queue -> dispatcher -> handlers -> Device
 *   endpoint <--bytes-- Connection: Pacer <- encodeFrame <- replies, events <- Eraser, Ambient
 */
export class SimulatedTerminal {
  private readonly counters: Counters = {
    framesIn: 0,
    framesOut: 0,
    executed: {},
    duplicates: 0,
    badFrames: 0,
  };
  private connection: Connection | undefined;
  private eventSeq = 0;
  private closed = false;
  private readonly ambient: Ambient;

  private constructor(private readonly device: Device) {
    this.ambient = new Ambient(device);
    device.link = {
      connected: () => this.connection?.inSession ?? false,
      event: (type, header) => this.connection?.event(type, header),
      pull: () => this.connection?.pull(),
    };
  }

  static async create(options: SimOptions): Promise<SimulatedTerminal> {
    const device = new Device(resolveOptions(options));
    const terminal = new SimulatedTerminal(device);
    device.persist(true);
    // An erase that was running when the simulator was killed resumes where it was checkpointed.
    device.eraser.schedule();
    terminal.ambient.start();
    return terminal;
  }

  /** Plugs the cable in. A live earlier connection is hung up first: one peer at a time. */
  attach(endpoint: ByteEndpoint): void {
    if (this.closed) throw new PosdecomError(ErrorCode.TransportDisconnected, 'simulated terminal is closed');
    this.connection?.hangUp();
    this.connection = new Connection(
      this.device,
      endpoint,
      this.counters,
      () => this.nextEventSeq(),
      (gone) => {
        if (this.connection === gone) this.connection = undefined;
      },
    );
  }

  get identity(): Identity {
    return this.device.identity();
  }

  get authorityCode(): string {
    return this.device.authorityCode;
  }

  get storeNames(): string[] {
    return [...this.device.stores.keys()];
  }

  /** Ground truth for tests: sha256 of the bytes the store really holds (not what it claims). */
  storeDigest(name: string): string {
    return runSync(this.store(name).digestSteps());
  }

  readStoreBytes(name: string, offset: number, length: number): Buffer {
    const store = this.store(name);
    if (!(
      Number.isInteger(offset) &&
      Number.isInteger(length) &&
      offset >= 0 &&
      length >= 0 &&
      offset + length <= store.size
    )) {
      throw new RangeError(`[${offset}, +${length}) is outside ${name} (size ${store.size})`);
    }
    return store.read(offset, length);
  }

  /** Size of the store now: it grows when the terminal appends records of its own (a settlement). */
  storeSize(name: string): number {
    return this.store(name).size;
  }

  /**
   * Ground truth for tests, whatever the terminal claims on the wire: what is switched on, the
   * batch, the SAF queue, the binding, the key slots (true = still loaded) and whether each store's bytes
   * really are an erase's result.
   */
  truth(): GroundTruth {
    const d = this.device;
    return {
      channels: Object.fromEntries(d.channels),
      links: Object.fromEntries(d.links),
      batchOpen: d.batch.open,
      safQueued: d.safQueue().count,
      bound: d.bound,
      decommissioned: d.decommissioned,
      keysLoaded: d.keys.slots().map((k) => k.kcv !== null),
      stores: Object.fromEntries(
        [...d.stores].map(([name, s]) => [
          name,
          { size: s.size, erasedBytes: s.state.erased && !s.state.lied && !s.state.layout.over?.length },
        ]),
      ),
    };
  }

  /**
   * The terminal appends a record of its own to a store (a log line), as a real terminal does
   * while it runs: for tests of an agent that must notice a store changed under it.
   */
  appendRecord(name: string, text: string): void {
    this.store(name).append([text]);
    this.device.persist();
  }

  /** Erase operations the store has actually begun (duplicates and replayed ops do not count). */
  eraseCount(name: string): number {
    return this.store(name).state.eraseCount;
  }

  stats(): {
    framesIn: number;
    framesOut: number;
    executed: Record<string, number>;
    duplicates: number;
    badFrames: number;
  } {
    return { ...this.counters, executed: { ...this.counters.executed } };
  }

  /** What happened to it so far: reads, erases, keys, requests (protocol/simulator/snapshot.ts). */
  snapshot(): SimulatorSnapshot {
    return snapshotOf(this.device, this.counters);
  }

  /** Other faults from now on, while it runs; `{}` for none. */
  setFaults(faults: FaultSpec): void {
    this.device.faults.replace(faults);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ambient.stop();
    this.device.eraser.stop();
    this.device.persist();
    this.connection?.hangUp();
    this.connection = undefined;
    // Let the deferred hang-up reach the peer before the caller moves on.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private nextEventSeq(): number {
    // Events count 0001..FFFF and wrap to 0001: 0000 is reserved (s.7.1).
    this.eventSeq = (this.eventSeq % 0xffff) + 1;
    return this.eventSeq;
  }

  private store(name: string) {
    const store = this.device.stores.get(name);
    if (!store) throw new RangeError(`no store '${name}' on this terminal (${this.storeNames.join(', ')})`);
    return store;
  }
}

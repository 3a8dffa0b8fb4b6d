import { modelProfile, type ModelProfile } from './models.js';
import { authorityCodeFor, deriveIdentity, type BirthIdentity } from './identity.js';
import { KeySlots } from './keys.js';
import { Store } from './store.js';
import { isOriginal, StoreContent } from '../../simulator/content/layout.js';
import { safQueueHeld } from '../../simulator/content/records.js';
import { Eraser } from './eraser.js';
import { FaultInjector } from './fault-injector.js';
import { Prng } from '../../simulator/prng.js';
import {
  loadState,
  saveState,
  STATE_FORMAT,
  type EraseJob,
  type OpRecord,
  type PersistedState,
} from './state-file.js';
import { storeSize, type ResolvedOptions } from './options.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import type { Channel, Identity, LinkKind, Money, SafQueue, Status } from '../../domain.js';

/** How the device reaches whoever is attached; a no-op while nobody is. */
export interface DeviceLink {
  connected(): boolean;
  event(type: string, header: Record<string, unknown>): void;
  pull(): void;
}

/** Recorded op results are bounded; a job uses a dozen, so this covers hundreds of jobs. */
const MAX_OPS = 4096;

/**
 * The terminal's hardware and non-volatile state, independent of any connection: what a power
 * cycle keeps. Request handlers change it and call persist(); sessions and their authorization
 * live in the connection, not here.
 */
export class Device {
  readonly profile: ModelProfile;
  readonly birth: BirthIdentity;
  /** The decommission authority code this terminal checks AUTH against (s.5.2). */
  readonly authorityCode: string;
  readonly stores = new Map<string, Store>();
  readonly keys: KeySlots;
  readonly channels = new Map<Channel, boolean>();
  readonly links = new Map<LinkKind, boolean>();
  batch: { open: boolean; count: number; totals: Money[]; number: number };
  bound = true;
  decommissioned = false;
  readonly ops = new Map<string, OpRecord>();
  readonly jobs = new Map<string, EraseJob>();
  auth = { failures: 0, lockedUntil: 0 };
  battery: { percent: number; charging: boolean } | null;
  readonly faults: FaultInjector;
  readonly eraser: Eraser;
  /** Epoch ms of the stores' first records: the terminal's own records are dated from it. */
  readonly epoch: number;
  link: DeviceLink = { connected: () => false, event: () => undefined, pull: () => undefined };
  private persistFailure: string | undefined;
  /** Inside asOneWrite: saves wait, so a change and its op record reach the file together. */
  private deferred: { dirty: boolean } | undefined;

  constructor(readonly options: ResolvedOptions) {
    const { seed } = options;
    this.profile = modelProfile(options.model);
    this.birth = deriveIdentity(this.profile, seed);
    this.authorityCode = authorityCodeFor(seed, this.birth.serial);
    const saved = options.statePath ? loadState(options.statePath, seed, options.model) : undefined;
    const epoch = Date.UTC(2025, 5, 1) + (Math.abs(seed) % 90) * 86_400_000;
    this.epoch = epoch;
    for (const p of this.profile.stores) {
      const size = storeSize(options, p.name, p.size);
      const ctx = {
        ...this.birth,
        seed,
        store: p.name,
        kind: p.kind,
        vendor: this.profile.vendor,
        model: this.profile.model,
        epoch,
        noncompliant: options.noncompliant,
      };
      const content = new StoreContent(ctx, size);
      this.stores.set(p.name, new Store(p.name, p.kind, p.cardData, content, saved?.stores[p.name], p.media));
    }
    this.keys = new KeySlots(this.profile.keySlots, seed, saved?.keysZeroized ?? []);
    for (const c of this.profile.channels) this.channels.set(c, saved?.channels[c] ?? true);
    for (const l of this.profile.links) this.links.set(l, saved?.links[l] ?? true);
    const rng = Prng.from(seed, 'device');
    const count = rng.int(8, 60);
    this.batch = saved?.batch ?? {
      open: true,
      count,
      totals: [{ currency: this.birth.currency, minor: count * rng.int(800, 4_000) }],
      number: rng.int(100, 900),
    };
    this.battery = this.profile.battery
      ? (saved?.battery ?? { percent: rng.int(35, 95), charging: false })
      : null;
    if (saved) {
      this.bound = saved.bound;
      this.decommissioned = saved.decommissioned;
      this.auth = saved.auth;
      for (const op of saved.ops) this.ops.set(op.op, op);
      for (const job of saved.jobs) this.jobs.set(job.op, job);
    }
    this.faults = new FaultInjector(options.faults, seed, saved?.faultsFired ?? [], () => this.persist());
    this.eraser = new Eraser(
      {
        stores: this.stores,
        jobs: this.jobs,
        persist: () => this.persist(),
        progress: (job) => this.link.event('PROGRESS', { op: job.op, done: job.done, total: job.total }),
        advanced: (job) => {
          if (this.link.connected() && this.faults.pullOnEraseProgress(job.store, job.done, job.total)) {
            this.link.pull();
          }
        },
      },
      options.eraseBytesPerSecond,
      options.lineClock,
    );
  }

  identity(): Identity {
    return {
      vendor: this.profile.vendor,
      model: this.profile.model,
      serial: this.birth.serial,
      firmware: this.profile.firmware,
      tid: this.bound ? this.birth.tid : null,
      mid: this.bound ? this.birth.mid : null,
      acquirer: this.bound ? this.birth.acquirer : null,
      state: this.decommissioned ? 'decommissioned' : 'active',
      // SPEC s.6.2: a simulated terminal says so, so no certificate mistakes it for a device.
      simulated: true,
    };
  }

  /**
   * The store-and-forward queue: the queued payments held in the saf store, until FORWARD marks
   * them forwarded (the store's content says which, so the state file needs nothing more).
   */
  safQueue(): SafQueue {
    const store = [...this.stores.values()].find((s) => s.kind === 'saf');
    const base = store?.state.layout.base;
    // An erased store holds no queue (ERASE of a saf store with one is refused, rules.ts).
    if (!store || !isOriginal(store.state.layout) || base?.kind !== 'original' || base.forwarded)
      return { count: 0, totals: [] };
    const held = safQueueHeld(store.content.ctx, store.size);
    const totals = new Map<string, number>();
    for (const p of held) totals.set(p.currency, (totals.get(p.currency) ?? 0) + p.minor);
    return { count: held.length, totals: [...totals].map(([currency, minor]) => ({ currency, minor })) };
  }

  /** FORWARD went through: the queued records are now forwarded ones. */
  markSafForwarded(): void {
    for (const s of this.stores.values()) if (s.kind === 'saf') s.markForwarded();
  }

  status(authorized: boolean): Status {
    return {
      channels: Object.fromEntries([...this.channels].map(([k, on]) => [k, on ? 'on' : 'off'])),
      links: Object.fromEntries([...this.links].map(([k, up]) => [k, up ? 'up' : 'down'])),
      batch: { open: this.batch.open, count: this.batch.count, totals: this.batch.totals },
      saf: this.safQueue(),
      battery: this.battery,
      tamper: false,
      bound: this.bound,
      authorized,
      state: this.decommissioned ? 'decommissioned' : 'active',
    };
  }

  recordOp(op: string, type: string, response: Record<string, unknown>): void {
    this.ops.delete(op);
    this.ops.set(op, { op, type, response });
    while (this.ops.size > MAX_OPS) this.ops.delete(this.ops.keys().next().value!);
    // A finished job is kept only while its op is recorded: ERASE_STATUS answers from it.
    for (const [id, job] of this.jobs) if (job.state !== 'running' && !this.ops.has(id)) this.jobs.delete(id);
    this.persist();
  }

  /**
   * Runs `work` (a destructive request and the recording of its op) as one write of the state
   * file. Saved separately, a crash between the two saves would leave the change done but its op
   * unknown, and the agent's resend of the same op would do it a second time (s.7.5).
   */
  async asOneWrite<T>(work: () => Promise<T>): Promise<T> {
    if (this.deferred) return work();
    const deferred = { dirty: false };
    this.deferred = deferred;
    try {
      return await work();
    } finally {
      this.deferred = undefined;
      if (deferred.dirty) this.persist();
    }
  }

  /** Saves the state file; `strict` (at start-up) turns a failure into an error instead of a warning. */
  persist(strict = false): void {
    if (!this.options.statePath) return;
    if (this.deferred && !strict) {
      this.deferred.dirty = true;
      return;
    }
    const state: PersistedState = {
      format: STATE_FORMAT,
      seed: this.options.seed,
      model: this.options.model,
      bound: this.bound,
      decommissioned: this.decommissioned,
      channels: Object.fromEntries(this.channels),
      links: Object.fromEntries(this.links),
      batch: this.batch,
      keysZeroized: this.keys.zeroizedFlags(),
      stores: Object.fromEntries([...this.stores].map(([name, s]) => [name, s.state])),
      jobs: [...this.jobs.values()],
      ops: [...this.ops.values()],
      auth: this.auth,
      battery: this.battery,
      faultsFired: this.faults.firedIds(),
    };
    try {
      saveState(this.options.statePath, state);
      this.persistFailure = undefined;
    } catch (err) {
      if (strict) {
        const why = `cannot write simulator state ${this.options.statePath}: ${(err as Error).message}`;
        throw new PosdecomError(ErrorCode.UsageBadFile, why, { path: this.options.statePath });
      }
      // Called from timers too (erase progress): a full disk must not crash the process. The
      // terminal keeps running on its in-memory state and says so, once per distinct failure.
      const message = `simulated terminal could not save ${this.options.statePath}: ${(err as Error).message}`;
      if (message !== this.persistFailure) process.emitWarning(message);
      this.persistFailure = message;
    }
  }
}

import { OneShotFaults, positionIn, positionText } from '../../simulator/one-shot-faults.js';
import { Prng } from '../../simulator/prng.js';
import { WireNoise } from '../../simulator/wire-noise.js';
import type { DisconnectAt, FaultSpec } from './faults.js';

/**
 * Applies a FaultSpec at run time. Each kind of fault draws from its own seeded stream, so
 * adding drop=... to a scenario does not move where its bit errors land; the same seed and
 * the same faults give the same run. Disconnect faults fire once each; their ids go to the
 * state file so a restarted simulator does not fire them again.
 */
export class FaultInjector {
  private readonly busyRng: Prng;
  readonly eraseRng: Prng;
  private noise: WireNoise;
  private oneShots: OneShotFaults;

  constructor(
    private spec: FaultSpec,
    private readonly seed: number,
    firedBefore: Iterable<string>,
    private readonly onFired: () => void,
  ) {
    this.busyRng = Prng.from(seed, 'fault|busy');
    this.eraseRng = Prng.from(seed, 'fault|erase');
    this.noise = new WireNoise(seed, spec.bitError, spec.drop);
    this.oneShots = new OneShotFaults(firedBefore, onFired);
  }

  /**
   * Other faults from now on, while the terminal runs (a test that breaks the link half-way).
   * A new set starts afresh: its one-shot faults fire once each, whatever fired before.
   */
  replace(spec: FaultSpec): void {
    this.spec = spec;
    this.noise = new WireNoise(this.seed, spec.bitError, spec.drop);
    this.oneShots = new OneShotFaults([], this.onFired);
    this.onFired();
  }

  get slowMs(): number {
    return this.spec.slowMs ?? 0;
  }

  firedIds(): string[] {
    return this.oneShots.ids();
  }

  /** True when the link must drop before answering this request (frameNumber counts from 1). */
  pullOnRequest(frameNumber: number, type: string, header: Record<string, unknown>): boolean {
    let pull = false;
    (this.spec.disconnectAfter ?? []).forEach((n, i) => {
      if (frameNumber >= n && this.fire(`disconnect-after=${n}#${i}`)) pull = true;
    });
    this.eachAt((d, id) => {
      if (d.at || d.type !== type || (d.store !== undefined && d.store !== header.store)) return;
      if (this.fire(id)) pull = true;
    });
    return pull;
  }

  /** For a READ response carrying [offset, offset+length): where to cut it (0-1 of the frame), if at all. */
  readCut(store: string, offset: number, length: number, size: number): number | undefined {
    let cut: number | undefined;
    this.eachAt((d, id) => {
      if (cut !== undefined || d.type !== 'READ' || !d.at || (d.store !== undefined && d.store !== store))
        return;
      const p = positionIn(d.at, size);
      if (p >= offset && p < offset + length && this.fire(id)) cut = (p - offset) / length;
    });
    return cut;
  }

  /** True when an erase of `store` that has done `done` of `total` crosses a disconnect point. */
  pullOnEraseProgress(store: string, done: number, total: number): boolean {
    let pull = false;
    this.eachAt((d, id) => {
      if (d.type !== 'ERASE' || !d.at || (d.store !== undefined && d.store !== store)) return;
      if (done >= positionIn(d.at, total) && this.fire(id)) pull = true;
    });
    return pull;
  }

  /** retryAfterMs when this request is to be refused BUSY. */
  busy(): number | undefined {
    if (!this.spec.busy || !this.busyRng.chance(this.spec.busy)) return undefined;
    return this.busyRng.int(50, 250);
  }

  eraseFails(store: string): boolean {
    return (this.spec.eraseFail ?? []).includes(store);
  }

  eraseLies(store: string): boolean {
    return (this.spec.eraseLie ?? []).includes(store);
  }

  /** The host a FORWARD or SETTLE talks to does not answer. */
  hostUnreachable(type: 'FORWARD' | 'SETTLE'): boolean {
    return (this.spec.hostUnreachable ?? []).includes(type);
  }

  /** The wire's damage to output bytes: bit flips, then dropped bytes. */
  corrupt(bytes: Buffer): Buffer {
    return this.noise.corrupt(bytes);
  }

  private eachAt(visit: (d: DisconnectAt, id: string) => void): void {
    (this.spec.disconnectAt ?? []).forEach((d, i) => {
      const id = `disconnect-at=${d.type}${d.store ? `:${d.store}` : ''}${d.at ? `:${positionText(d.at)}` : ''}#${i}`;
      if (!this.oneShots.has(id)) visit(d, id);
    });
  }

  private fire(id: string): boolean {
    return this.oneShots.fire(id);
  }
}

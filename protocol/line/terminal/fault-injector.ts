import { Prng } from '../../simulator/prng.js';
import type { DisconnectAt, FaultPosition, FaultSpec } from './faults.js';

/**
 * Applies a FaultSpec at run time. Each kind of fault draws from its own seeded stream, so
 * adding drop=... to a scenario does not move where its bit errors land; the same seed and
 * the same faults give the same run. Disconnect faults fire once each; their ids go to the
 * state file so a restarted simulator does not fire them again.
 */
export class FaultInjector {
  private readonly bitRng: Prng;
  private readonly dropRng: Prng;
  private readonly busyRng: Prng;
  readonly eraseRng: Prng;
  private bitsToFlip: number;
  private bytesToDrop: number;

  constructor(
    private readonly spec: FaultSpec,
    seed: number,
    private readonly fired: Set<string>,
    private readonly onFired: () => void,
  ) {
    this.bitRng = Prng.from(seed, 'fault|bit-error');
    this.dropRng = Prng.from(seed, 'fault|drop');
    this.busyRng = Prng.from(seed, 'fault|busy');
    this.eraseRng = Prng.from(seed, 'fault|erase');
    this.bitsToFlip = this.spec.bitError ? Math.floor(this.bitRng.gap(this.spec.bitError)) : Infinity;
    this.bytesToDrop = this.spec.drop ? Math.floor(this.dropRng.gap(this.spec.drop)) : Infinity;
  }

  get slowMs(): number {
    return this.spec.slowMs ?? 0;
  }

  firedIds(): string[] {
    return [...this.fired];
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
      const p = point(d.at, size);
      if (p >= offset && p < offset + length && this.fire(id)) cut = (p - offset) / length;
    });
    return cut;
  }

  /** True when an erase of `store` that has done `done` of `total` crosses a disconnect point. */
  pullOnEraseProgress(store: string, done: number, total: number): boolean {
    let pull = false;
    this.eachAt((d, id) => {
      if (d.type !== 'ERASE' || !d.at || (d.store !== undefined && d.store !== store)) return;
      if (done >= point(d.at, total) && this.fire(id)) pull = true;
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

  /** The wire's damage to output bytes: bit flips, then dropped bytes. */
  corrupt(bytes: Buffer): Buffer {
    if (this.bitsToFlip === Infinity && this.bytesToDrop === Infinity) return bytes;
    const out = Buffer.from(bytes);
    const bits = out.length * 8;
    while (this.bitsToFlip < bits) {
      const at = this.bitsToFlip;
      out[at >> 3]! ^= 1 << (at & 7);
      this.bitsToFlip += 1 + Math.floor(this.bitRng.gap(this.spec.bitError!));
    }
    this.bitsToFlip -= bits;
    if (this.bytesToDrop >= out.length) {
      this.bytesToDrop -= out.length;
      return out;
    }
    const kept: Buffer[] = [];
    let from = 0;
    while (this.bytesToDrop < out.length) {
      kept.push(out.subarray(from, this.bytesToDrop));
      from = this.bytesToDrop + 1;
      this.bytesToDrop += 1 + Math.floor(this.dropRng.gap(this.spec.drop!));
    }
    kept.push(out.subarray(from));
    this.bytesToDrop -= out.length;
    return Buffer.concat(kept);
  }

  private eachAt(visit: (d: DisconnectAt, id: string) => void): void {
    (this.spec.disconnectAt ?? []).forEach((d, i) => {
      const id = `disconnect-at=${d.type}${d.store ? `:${d.store}` : ''}${d.at ? `:${positionText(d.at)}` : ''}#${i}`;
      if (!this.fired.has(id)) visit(d, id);
    });
  }

  private fire(id: string): boolean {
    if (this.fired.has(id)) return false;
    this.fired.add(id);
    this.onFired();
    return true;
  }
}

function point(at: FaultPosition, whole: number): number {
  return 'percent' in at ? Math.floor((whole * at.percent) / 100) : at.offset;
}

function positionText(at: FaultPosition): string {
  return 'percent' in at ? `${at.percent}%` : String(at.offset);
}

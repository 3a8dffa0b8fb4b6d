/**
 * Faults that fire once, such as a cable pull at a given point of a job. Their ids go to the
 * simulator's state file, so a restarted simulator does not pull the cable a second time at
 * the same place (the job the fault interrupted must be able to finish).
 */
export class OneShotFaults {
  private readonly fired: Set<string>;

  constructor(
    firedBefore: Iterable<string>,
    private readonly onFired: () => void,
  ) {
    this.fired = new Set(firedBefore);
  }

  has(id: string): boolean {
    return this.fired.has(id);
  }

  /** True the first time `id` fires, false ever after. */
  fire(id: string): boolean {
    if (this.fired.has(id)) return false;
    this.fired.add(id);
    this.onFired();
    return true;
  }

  ids(): string[] {
    return [...this.fired];
  }
}

/** A fault position as a percentage of the whole or an absolute offset, resolved against `whole`. */
export type FaultPosition = { percent: number } | { offset: number };

export function positionIn(at: FaultPosition, whole: number): number {
  return 'percent' in at ? Math.floor((whole * at.percent) / 100) : at.offset;
}

export function positionText(at: FaultPosition): string {
  return 'percent' in at ? `${at.percent}%` : String(at.offset);
}

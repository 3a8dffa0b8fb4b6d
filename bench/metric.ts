/** One benchmark figure against its target (BENCHMARKS.md). */
export interface Metric {
  name: string;
  value: number;
  target: number;
  /** 'min': the value must be at least the target; 'max': below it. */
  kind: 'min' | 'max';
  unit: string;
  details: Record<string, unknown>;
  /** One short line for the human table: how the figure came about. */
  note: string;
}

export function met(m: Metric): boolean {
  return m.kind === 'min' ? m.value >= m.target : m.value < m.target;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { BAUD, LINE_RATE, TURNAROUND_MS } from './measures.js';
import { met, round, type Metric } from './metric.js';

export function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
}

function table(metrics: Metric[], errors: Record<string, string>): string {
  const rows = metrics.map((m) => [
    m.name,
    `${m.value >= 100 ? m.value.toFixed(0) : m.value.toFixed(3)} ${m.unit}`,
    `${m.kind === 'min' ? '>=' : '<'} ${m.target}`,
    met(m) ? 'met' : 'NOT MET',
    m.note,
  ]);
  for (const [name, error] of Object.entries(errors)) rows.push([name, 'failed', '', 'ERROR', error]);
  const head = ['metric', 'value', 'target', 'result', 'how'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The human table on stdout and, with --json, one JSON object on the last line. */
export function writeReport(
  metrics: Metric[],
  errors: Record<string, string>,
  host: Record<string, unknown>,
  seconds: number,
  json: boolean,
): boolean {
  const allMet = metrics.every(met) && Object.keys(errors).length === 0;
  process.stdout.write(
    `\nposdecom bench: ${BAUD} baud, ${TURNAROUND_MS} ms turnaround, simulated terminal\n`,
  );
  process.stdout.write(
    `machine: ${JSON.stringify({ ...host, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 2) })}\n\n`,
  );
  process.stdout.write(table(metrics, errors));
  process.stdout.write(`\n${allMet ? 'all targets met' : 'TARGETS NOT MET'}; ${seconds.toFixed(0)} s\n`);
  if (json) {
    const results = Object.fromEntries(
      metrics.map((m) => [
        m.name,
        {
          value: round(m.value, 4),
          target: m.target,
          kind: m.kind,
          unit: m.unit,
          met: met(m),
          details: m.details,
        },
      ]),
    );
    process.stdout.write(
      JSON.stringify({
        machine: { ...host, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 2) },
        link: { baud: BAUD, turnaroundMs: TURNAROUND_MS, lineBytesPerSecond: LINE_RATE },
        results,
        errors,
        allMet,
        seconds: round(seconds, 1),
      }) + '\n',
    );
  }
  return allMet;
}

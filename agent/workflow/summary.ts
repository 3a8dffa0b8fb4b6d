import type { WipeCertificate } from '../../wipe/certificate/model.js';
import { SIMULATED_BAND } from '../../wipe/certificate/simulated.js';
import type { JournalEntry } from '../journal.js';
import type { WorkOrder } from '../work-order.js';
import type { Inventory } from './context.js';
import { recordsFromJournal } from './facts.js';
import type { JobFacts } from './machine.js';

/** The job in a few lines: a table for the technician, or the object `--json` prints. */
export interface JobSummary {
  port: string;
  dir: string;
  serial: string | null;
  model: string | null;
  workOrder: string | null;
  overall: string;
  /** A simulated terminal (a `sim:` port, or one that said so): not a record of a device. */
  simulated: boolean;
  exitCode: number;
  stopReason: string | null;
  certificate: { id: string; json: string; signature: string; pdf: string } | null;
  steps: { step: string; target: string | null; result: string; note: string | null }[];
  durationMs: number;
}

export function summarize(i: {
  port: string;
  dir: string;
  workOrder: WorkOrder | undefined;
  inventory: Inventory | undefined;
  facts: JobFacts | undefined;
  entries: JournalEntry[];
  certificate: WipeCertificate | undefined;
  exitCode: number;
  stopReason: string | undefined;
  durationMs: number;
}): JobSummary {
  const steps = i.certificate ? i.certificate.steps : recordsFromJournal(i.entries);
  return {
    port: i.port,
    dir: i.dir,
    serial: i.inventory?.identity.serial ?? null,
    model: i.inventory?.identity.model ?? null,
    workOrder: i.workOrder?.id ?? null,
    overall: i.certificate?.overall.result ?? (i.exitCode === 0 && !i.facts ? 'NONE' : 'INCOMPLETE'),
    simulated: i.certificate?.device.simulated ?? i.port.startsWith('sim:'),
    exitCode: i.exitCode,
    stopReason: i.stopReason ?? null,
    certificate: i.certificate
      ? {
          id: i.certificate.certificateId,
          json: `${i.dir}/certificate.json`,
          signature: `${i.dir}/certificate.p7s`,
          pdf: `${i.dir}/certificate.pdf`,
        }
      : null,
    steps: steps.map((s) => ({
      step: s.step,
      target: s.target ?? null,
      result: s.result,
      note: s.note ?? null,
    })),
    durationMs: i.durationMs,
  };
}

/** A job that ended before it could start (bad port, unreadable files): no steps, no certificate. */
export function unstartedSummary(port: string, dir: string, exitCode: number, reason: string): JobSummary {
  return {
    port,
    dir,
    serial: null,
    model: null,
    workOrder: null,
    overall: 'INCOMPLETE',
    simulated: port.startsWith('sim:'),
    exitCode,
    stopReason: reason,
    certificate: null,
    steps: [],
    durationMs: 0,
  };
}

export function summaryTable(s: JobSummary): string {
  const rows = s.steps.map((x) => [x.target ? `${x.step} ${x.target}` : x.step, x.result, x.note ?? '']);
  const width = Math.max(10, ...rows.map((r) => r[0]!.length));
  const lines = [
    '',
    `Terminal ${s.serial ?? '?'} (${s.model ?? '?'}), work order ${s.workOrder ?? '?'}: ${s.overall}` +
      (s.simulated ? `  [${SIMULATED_BAND}]` : ''),
    ...rows.map(([a, b, c]) => `  ${a!.padEnd(width)}  ${b!.padEnd(7)}  ${c}`),
  ];
  if (s.certificate) lines.push(`  certificate: ${s.certificate.json} (+ .p7s, .pdf)`);
  if (s.stopReason) lines.push(`  stopped: ${s.stopReason}`);
  lines.push(`  exit code ${s.exitCode}, ${(s.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

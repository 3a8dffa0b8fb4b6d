import type { JobContext, StepOutcome } from '../context.js';
import { record } from './records.js';

/**
 * Finalize for a driver whose finalize only confirms (ZVT: Reset Terminal, Status Enquiry,
 * Log-Off): PASS when the terminal reports itself ready (status 00) afterwards. It claims
 * nothing about a decommissioned state, which ZVT does not have; the certificate's other steps
 * say what was and was not measured.
 */
export async function confirmTerminal(ctx: JobContext): Promise<StepOutcome> {
  const startedAt = new Date();
  const reply = await ctx.withLink('finalize', (d) => d.finalize(ctx.opId('finalize')));
  const ok = reply.safeToPowerOff;
  const evidence = {
    ...reply.evidence,
    ready: ok,
    confirmedBy: ctx.driver().capabilities.measures.finalize,
  };
  const status = typeof reply.evidence?.terminalStatus === 'string' ? reply.evidence.terminalStatus : '?';
  const note = `the terminal reports status ${status} after Reset Terminal, not 00 (ready)`;
  if (ok) ctx.reporter.info('terminal reset, ready (status 00) and logged off');
  else ctx.reporter.warn(note);
  return {
    outcome: ok ? 'done' : 'failed',
    records: [record('finalize', startedAt, ok ? 'PASS' : 'FAIL', evidence, ok ? {} : { note })],
  };
}

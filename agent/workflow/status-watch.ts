import type { Status } from '../../protocol/domain.js';
import type { StepName } from '../../wipe/certificate/model.js';
import { applyResult } from './facts.js';
import type { JobRun } from './job-run.js';
import { record } from './steps/records.js';

/**
 * Every STATUS the job reads after a step confirmed something by STATUS is held against it: a
 * channel switched off that shows on again, a link taken down that shows up, a forwarded SAF
 * queue that holds payments again, a settled batch that shows open. Either the earlier answer or this one is untrue, and the terminal gets no
 * benefit of the doubt: the earlier step is recorded again as FAIL (the certificate keeps the
 * latest record of a step), the discrepancy named, and the job changes nothing more.
 */
export async function readStatus(run: JobRun, when: string): Promise<Status> {
  const status = await run.conn.withLink('status', (d) => d.status());
  const f = run.facts;
  if (!f || !run.journal) return status;
  const found: { step: StepName; target?: string; what: string }[] = [];
  if (f.acceptance === 'done') {
    for (const ch of run.inventory?.channels ?? []) {
      const now = status.channels[ch];
      if (now !== 'off') {
        const what =
          now === undefined
            ? `STATUS ${when} no longer reports ${ch}`
            : `${ch} acceptance is on again ${when}`;
        found.push({ step: 'disable-acceptance', target: ch, what });
      }
    }
  }
  if (f.network === 'done') {
    for (const link of run.inventory?.links ?? []) {
      const now = status.links[link];
      if (now !== 'down') {
        const what =
          now === undefined ? `STATUS ${when} no longer reports ${link}` : `${link} is up again ${when}`;
        found.push({ step: 'network-down', what });
      }
    }
  }
  if (f.saf === 'forwarded' && status.saf && status.saf.count > 0) {
    found.push({
      step: 'forward-saf',
      what: `${status.saf.count} payments wait in the SAF queue again ${when}`,
    });
  }
  if (f.settle === 'settled' && status.batch.open) {
    found.push({ step: 'settle', what: `a batch is open again ${when}, after settlement` });
  }
  // One record per step and target, naming everything found for it.
  const merged = new Map<string, { step: StepName; target?: string; what: string }>();
  for (const x of found) {
    const key = `${x.step}|${x.target ?? ''}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, what: `${seen.what}; ${x.what}` } : x);
  }
  for (const x of merged.values()) {
    const evidence = {
      confirmedBy: 'STATUS',
      foundAt: when,
      channels: status.channels,
      links: status.links,
      batch: status.batch,
      ...(status.saf ? { saf: status.saf } : {}),
    };
    const note = `${x.what}, after the step confirmed it`;
    run.journal.append('result', {
      step: x.step,
      ...(x.target ? { target: x.target } : {}),
      data: {
        outcome: 'anomaly',
        anomalies: x.what.split('; '),
        records: [
          record(x.step, new Date(), 'FAIL', evidence, { ...(x.target ? { target: x.target } : {}), note }),
        ],
      },
    });
    applyResult(f, x.step, x.target, 'anomaly');
    f.anomalies.push(...x.what.split('; '));
    run.options.reporter.warn(x.what);
    run.audit.log.warn({ step: x.step, when }, 'STATUS contradicts an earlier confirmation');
  }
  return status;
}

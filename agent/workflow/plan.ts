import type { StepMeasures, TerminalDriver } from '../../protocol/driver.js';
import type { WorkOrder } from '../work-order.js';
import type { Inventory } from './context.js';
import type { JobPolicy } from './facts.js';
import type { JobFacts } from './machine.js';
import { chooseMethod } from './steps/erase.js';

/**
 * The plan the technician confirms before the first change (and what --dry-run prints). Each
 * step says where its verdict will come from: what the terminal is asked to confirm it, or that
 * the protocol has no command for it, so the certificate will say UNKNOWN (ATTESTED if the
 * technician attests doing it by hand) and never PASS. The technician sees that before starting.
 */
export function planText(
  inv: Inventory,
  w: WorkOrder,
  policy: JobPolicy,
  f: JobFacts,
  d: Pick<TerminalDriver, 'protocol' | 'capabilities'>,
): string {
  const { allowUnsettled } = policy;
  const id = inv.identity;
  const caps = d.capabilities;
  const source = (step: keyof StepMeasures) => verdictSource(caps.measures[step], d.protocol);
  const method = caps.eraseBy === 'delete' ? 'delete' : (chooseMethod(inv.eraseMethods) ?? 'none offered');
  const batch = inv.status.batch;
  const saf = inv.status.saf;
  const omitted = inv.stores.filter((s) => s.cardData).map((s) => s.name);
  const keys = inv.keys.filter((k) => k.kcv !== null).length;
  const lines = [
    '',
    `Plan for ${id.vendor} ${id.model}, serial ${id.serial} (work order ${w.id}, ${w.reason}; protocol ${d.protocol})`,
    `  merchant ${w.owner.merchant}, ${w.owner.location}; TID ${id.tid ?? 'none'}, MID ${id.mid ?? 'none'}`,
    `  1. switch off acceptance: ${inv.channels.join(', ') || 'none reported'}`,
    source('disable-acceptance'),
    caps.measures['forward-saf'] === null
      ? `  2. forward the store-and-forward queue: the protocol can neither see nor forward it; the job goes on`
      : `  2. forward the store-and-forward queue (${saf ? `${saf.count} offline payments` : 'not reported by this terminal'})${allowUnsettled ? '; if it cannot forward, go on (--allow-unsettled)' : '; stop if it cannot forward'}`,
    source('forward-saf'),
    `  3. settle the open batch (${batch.open ? `${batch.count} transactions open` : 'no open batch'})${allowUnsettled ? '; if it cannot settle, go on (--allow-unsettled)' : '; stop if it cannot settle'}`,
    source('settle'),
    `  4. take network links down: ${inv.links.join(', ') || (caps.measures['network-down'] === null ? 'all' : 'none reported')}`,
    source('network-down'),
    `  5. back up ${inv.stores.length} stores, encrypted, scanned for card data: ${inv.stores.map((s) => `${s.name} (${s.readable === false ? 'not given out' : `${s.size} B`}${s.cardData ? ', card data' : ''})`).join(', ')}`,
    ...(policy.cardDataBackup === 'omit' && omitted.length > 0
      ? [`     except ${omitted.join(', ')}: card data, not backed up (--card-data-backup omit)`]
      : []),
    source('backup'),
    `  6. erase every store (${method}) and verify by reading it back`,
    source('erase'),
    `  7. zeroize ${caps.measures['key-zeroization'] === null ? 'the' : keys} payment keys`,
    source('key-zeroization'),
    `  8. unbind TID/MID and host configuration`,
    source('unbind'),
    caps.finalizeKind === 'confirm'
      ? `  9. confirm: reset the terminal, check it reports ready, log off`
      : `  9. finalize: decommissioned, safe to power off`,
    source('finalize'),
    `  destination afterwards: ${w.destination}`,
  ];
  if (Object.values(caps.measures).some((m) => m === null)) {
    lines.push(
      `  over ${d.protocol} the certificate cannot be a PASS: at best INCOMPLETE (steps marked UNKNOWN)`,
    );
  }
  const done = f.stores.filter((s) => s.erase === 'verified').length;
  if (done > 0) lines.push(`  (resuming: ${done} stores already erased and verified)`);
  return lines.join('\n') + '\n';
}

function verdictSource(measure: string | null, protocol: string): string {
  return measure === null
    ? `       verdict: not possible over ${protocol} (no standard command): UNKNOWN unless attested`
    : `       verdict: measured by the terminal: ${measure}`;
}

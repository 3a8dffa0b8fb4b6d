import type { WorkOrder } from '../work-order.js';
import type { Inventory } from './context.js';
import type { JobPolicy } from './facts.js';
import type { JobFacts } from './machine.js';
import { chooseMethod } from './steps/erase.js';

/** The plan the technician confirms before the first change (and what --dry-run prints). */
export function planText(inv: Inventory, w: WorkOrder, policy: JobPolicy, f: JobFacts): string {
  const { allowUnsettled } = policy;
  const id = inv.identity;
  const method = chooseMethod(inv.eraseMethods) ?? 'none offered';
  const batch = inv.status.batch;
  const saf = inv.status.saf;
  const omitted = inv.stores.filter((s) => s.cardData).map((s) => s.name);
  const lines = [
    '',
    `Plan for ${id.vendor} ${id.model}, serial ${id.serial} (work order ${w.id}, ${w.reason})`,
    `  merchant ${w.owner.merchant}, ${w.owner.location}; TID ${id.tid ?? 'none'}, MID ${id.mid ?? 'none'}`,
    `  1. switch off acceptance: ${inv.channels.join(', ') || 'none reported'}`,
    `  2. forward the store-and-forward queue (${saf ? `${saf.count} offline payments` : 'not reported by this terminal'})${allowUnsettled ? '; if it cannot forward, go on (--allow-unsettled)' : '; stop if it cannot forward'}`,
    `  3. settle the open batch (${batch.open ? `${batch.count} transactions open` : 'no open batch'})${allowUnsettled ? '; if it cannot settle, go on (--allow-unsettled)' : '; stop if it cannot settle'}`,
    `  4. take network links down: ${inv.links.join(', ') || 'none reported'}`,
    `  5. back up ${inv.stores.length} stores, encrypted, scanned for card data: ${inv.stores.map((s) => `${s.name} (${s.size} B${s.cardData ? ', card data' : ''})`).join(', ')}`,
    ...(policy.cardDataBackup === 'omit' && omitted.length > 0
      ? [`     except ${omitted.join(', ')}: card data, not backed up (--card-data-backup omit)`]
      : []),
    `  6. erase every store (${method}) and verify by read-back`,
    `  7. zeroize ${inv.keys.filter((k) => k.kcv !== null).length} payment keys`,
    `  8. unbind TID/MID and host configuration`,
    `  9. finalize: decommissioned, safe to power off`,
    `  destination afterwards: ${w.destination}`,
  ];
  const done = f.stores.filter((s) => s.erase === 'verified').length;
  if (done > 0) lines.push(`  (resuming: ${done} stores already erased and verified)`);
  return lines.join('\n') + '\n';
}

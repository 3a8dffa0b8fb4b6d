import type { BackupSet } from '../../wipe/backup/backup-set.js';
import type { Journal } from '../journal.js';
import type { Reporter } from '../reporter.js';
import type { Inventory } from './context.js';
import type { JobFacts } from './machine.js';

/**
 * A resumed job erases stores on the strength of backups an earlier run made, so before anything
 * is erased every such backup is read back: each part file must still hash to the digest the
 * manifest records. One that does not (changed, torn, missing) is not trusted: the store is backed
 * up again from the terminal, which still holds it, and the journal says why.
 */
export async function recheckBackups(
  facts: JobFacts,
  inventory: Inventory,
  set: BackupSet,
  journal: Journal,
  r: Reporter,
): Promise<void> {
  for (const s of facts.stores) {
    if (s.backup !== 'verified' || s.erase === 'verified' || s.erase === 'skipped') continue;
    const info = inventory.stores.find((x) => x.name === s.name);
    const { store, problem } = info ? await set.check(s.name, info.sha256) : { problem: 'not inventoried' };
    if (store) continue;
    const why = problem ?? 'the manifest no longer records a verified backup of it';
    r.warn(`the backup of ${s.name} does not hold (${why}); backing it up again before any erase`);
    journal.append('note', { data: { event: 'backup-recheck-failed', store: s.name, problem: why } });
    s.backup = 'pending';
  }
}

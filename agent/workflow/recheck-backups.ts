import type { BackupSet } from '../../wipe/backup/backup-set.js';
import type { Journal } from '../journal.js';
import type { Reporter } from '../reporter.js';
import type { Inventory } from './context.js';
import type { JobFacts } from './machine.js';

/**
 * A resumed job erases stores on the strength of backups an earlier run made, so before anything
 * is erased every such backup is read back: each part file must still hash to the digest the
 * manifest records. One that does not (changed, torn, missing) is not trusted: the store is backed
 * up again from the terminal, which still holds it, and the journal says why. The digest checked
 * is the one the journal's verified backup recorded: a store may have changed since the
 * inventory (settling appends to settlements and logs), and its backup is of what it held then.
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
    const sha256 = backedUpDigest(journal, s.name) ?? inventory.stores.find((x) => x.name === s.name)?.sha256;
    const { store, problem } = sha256 ? await set.check(s.name, sha256) : { problem: 'not inventoried' };
    if (store) continue;
    const why = problem ?? 'the manifest no longer records a verified backup of it';
    r.warn(`the backup of ${s.name} does not hold (${why}); backing it up again before any erase`);
    journal.append('note', { data: { event: 'backup-recheck-failed', store: s.name, problem: why } });
    s.backup = 'pending';
  }
}

/** The terminal digest the journal's last verified backup of `store` recorded. */
function backedUpDigest(journal: Journal, store: string): string | undefined {
  const last = [...journal.entries]
    .reverse()
    .find((e) => e.type === 'result' && e.step === 'backup' && e.target === store);
  if (last?.data?.outcome !== 'verified') return undefined;
  const rec = (last.data.records as { evidence?: Record<string, unknown> }[] | undefined)?.[0];
  const sha = rec?.evidence?.terminalSha256;
  return typeof sha === 'string' ? sha : undefined;
}

import type { TerminalDriver } from '../../protocol/driver.js';
import type { StoreInfo } from '../../protocol/domain.js';
import type { Journal, JournalEntry } from '../journal.js';

/**
 * The terminal's store list as the job last read it, read again after every request that may
 * have changed it (FORWARD, SETTLE, ERASE, ZEROIZE, UNBIND, FINALIZE), right before each store's backup
 * and right before its erase, and each time checked against the reading before it:
 *
 *   a store that is no longer listed            hidden: never backed up would mean never erased
 *   a store listed that was not before          appeared from nowhere
 *   fewer bytes or records, no erase requested  data went somewhere nobody saw (a settled batch
 *                                               may empty, a forwarded SAF queue may leave its
 *                                               store: the host has them)
 *   erased, though no erase of it was requested; or no longer erased after it was
 *   another kind, or no longer card data
 *
 * (A protocol that erases by deleting, ZVT, lists a deleted store no more: not a discrepancy once
 * an erase of it was requested.)
 *
 * Each is a discrepancy: named in the journal and the certificate (the inventory step FAILs)
 * and the job changes nothing more. A digest that changed is not one by itself (the terminal
 * writes its logs); the erase step then backs the store up again before erasing it.
 */
export interface StoreReading {
  stores: StoreInfo[];
  /** Discrepancies this reading found against the one before it. */
  discrepancies: string[];
}

export interface StoreListHost {
  journal: Journal;
  withLink<T>(what: string, op: (driver: TerminalDriver) => Promise<T>): Promise<T>;
  /** Records discrepancies: the inventory step's FAIL, and the facts that stop the job. */
  onDiscrepancies(found: string[], after: string, stores: StoreInfo[]): void;
}

/** The store fields a reading keeps in the journal: what the next comparison needs. */
export function storeSummary(s: StoreInfo): Record<string, unknown> {
  return {
    name: s.name,
    kind: s.kind,
    size: s.size,
    records: s.records,
    sha256: s.sha256,
    cardData: s.cardData,
    erased: s.erased,
  };
}

export class StoreList {
  constructor(
    private readonly host: StoreListHost,
    private last: StoreInfo[],
  ) {}

  /** The latest reading of the job: a resumed job starts from the last one journaled. */
  static fromJournal(host: StoreListHost, entries: JournalEntry[], inventory: StoreInfo[]): StoreList {
    const note = [...entries].reverse().find((e) => e.type === 'note' && e.data?.event === 'stores');
    return new StoreList(host, (note?.data?.stores as StoreInfo[] | undefined) ?? inventory);
  }

  get latest(): readonly StoreInfo[] {
    return this.last;
  }

  /** The inventory's reading is the first every later one is compared with. */
  start(inventory: StoreInfo[]): void {
    this.last = inventory;
  }

  /**
   * `settled`: the step reading is the settlement itself, answered but not yet journaled.
   * `resumed`: a store found no longer erased is erased again (preflight.ts), not taken for a lie.
   */
  async reread(after: string, o: { settled?: boolean; resumed?: boolean } = {}): Promise<StoreReading> {
    let deleting = false;
    const stores = await this.host.withLink('stores', (d) => {
      deleting = d.capabilities.eraseBy === 'delete';
      // What it held last time: a driver that reads to learn sizes asks from there (ZVT).
      return d.listStores(undefined, this.last);
    });
    const allowed = { ...allowances(this.host.journal.entries), deleting };
    const discrepancies = compareStoreLists(this.last, stores, {
      ...allowed,
      settled: allowed.settled || o.settled === true,
      unerasing: o.resumed === true,
    });
    this.host.journal.append('note', {
      data: {
        event: 'stores',
        after,
        stores: stores.map(storeSummary),
        ...(discrepancies.length > 0 ? { discrepancies } : {}),
      },
    });
    this.last = stores;
    if (discrepancies.length > 0) this.host.onDiscrepancies(discrepancies, after, stores);
    return { stores, discrepancies };
  }
}

export interface Allowances {
  /** Stores an ERASE was sent for (its intent journaled). */
  erasing: ReadonlySet<string>;
  /** The batch was settled: a batch store may have emptied. */
  settled: boolean;
  /** FORWARD was sent: the saf store's records may have been removed (SPEC.md s.6.20). */
  forwarded: boolean;
  /** A store may show no longer erased (a resumed job erases it again). */
  unerasing?: boolean;
  /**
   * The protocol erases by deleting (ZVT Delete File): a store an erase was sent for is no
   * longer listed, and that is the erase, not a store hidden.
   */
  deleting?: boolean;
}

export function allowances(entries: readonly JournalEntry[]): Allowances {
  const erasing = new Set<string>();
  let settled = false;
  let forwarded = false;
  for (const e of entries) {
    if (e.type === 'intent' && e.step === 'erase' && e.target) erasing.add(e.target);
    if (e.type === 'intent' && e.step === 'forward-saf') forwarded = true;
    if (e.step !== 'settle') continue;
    // A SETTLE whose answer never came (a crash, a cut) may have settled: its batch may be empty.
    if (e.type === 'intent') settled = true;
    if (e.type === 'result') settled = e.data?.outcome === 'settled';
  }
  return { erasing, settled, forwarded };
}

export function compareStoreLists(
  before: readonly StoreInfo[],
  now: readonly StoreInfo[],
  a: Allowances,
): string[] {
  const found: string[] = [];
  for (const p of before) {
    const n = now.find((x) => x.name === p.name);
    if (!n) {
      if (!(a.deleting === true && a.erasing.has(p.name))) found.push(`STORES no longer lists ${p.name}`);
      continue;
    }
    const erasing = a.erasing.has(p.name);
    if (n.kind !== p.kind) found.push(`${p.name} changed its kind from ${p.kind} to ${n.kind}`);
    if (p.cardData && !n.cardData) found.push(`${p.name} no longer says it may hold card data`);
    const shrank = n.size < p.size || n.records < p.records;
    const sentToHost = (p.kind === 'batch' && a.settled) || (p.kind === 'saf' && a.forwarded);
    if (shrank && !erasing && !sentToHost) {
      found.push(
        `${p.name} shrank from ${p.size} bytes, ${p.records} records to ${n.size} bytes, ${n.records} records without an erase`,
      );
    }
    if (n.erased && !p.erased && !erasing)
      found.push(`${p.name} reports erased, but no erase of it was requested`);
  }
  for (const n of now) {
    if (!before.some((p) => p.name === n.name))
      found.push(`STORES lists ${n.name}, which it did not list before`);
  }
  return found;
}

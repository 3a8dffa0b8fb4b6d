import type { DriverCapabilities } from '../../protocol/driver.js';
import { STEP_NAMES, type StepRecord } from '../../wipe/certificate/model.js';
import type { JournalEntry } from '../journal.js';
import type { Inventory } from './context.js';
import type { CardDataBackup, JobFacts, StoreFacts } from './machine.js';

/** The job's policy, chosen at its start and journaled with it, so --resume keeps it. */
export interface JobPolicy {
  allowUnsettled: boolean;
  cardDataBackup: CardDataBackup;
}

/**
 * Rebuilds the state machine's facts from the journal: the same function serves a running job
 * (after each result) and a resumed one (from the file), so both see the job the same way.
 */
/** What of the driver the facts depend on: can it zeroize, and which steps has it no command for. */
export type FactCaps = Pick<DriverCapabilities, 'zeroize' | 'measures'>;

export function initialFacts(inventory: Inventory, policy: JobPolicy, caps: FactCaps): JobFacts {
  return {
    inventoried: true,
    anomalies: [],
    acceptance: 'pending',
    saf: 'pending',
    settle: 'pending',
    allowUnsettled: policy.allowUnsettled,
    cardDataBackup: policy.cardDataBackup,
    network: 'pending',
    stores: inventory.stores.map((s): StoreFacts => ({
      name: s.name,
      holdsBatch: s.kind === 'batch',
      holdsSaf: s.kind === 'saf',
      cardData: s.cardData,
      backup: 'pending',
      erase: 'pending',
      changes: 0,
    })),
    keys: 'pending',
    canZeroize: caps.zeroize,
    notPossible: {
      acceptance: caps.measures['disable-acceptance'] === null,
      network: caps.measures['network-down'] === null,
      zeroize: caps.measures['key-zeroization'] === null,
    },
    unbind: 'pending',
    finalize: 'pending',
    certificate: 'pending',
  };
}

/** `unknown` (a step the protocol cannot do) is kept as such; the machine decides what it allows. */
const unknownOr = <T extends string>(outcome: string, otherwise: T): T | 'unknown' =>
  outcome === 'unknown' ? 'unknown' : otherwise;

export function applyResult(f: JobFacts, step: string, target: string | undefined, outcome: string): void {
  const store = target === undefined ? undefined : f.stores.find((s) => s.name === target);
  switch (step) {
    case 'disable-acceptance':
      f.acceptance = unknownOr(outcome, outcome === 'done' ? 'done' : 'failed');
      return;
    case 'forward-saf':
      f.saf = outcome === 'forwarded' || outcome === 'not-reported' ? outcome : 'unforwarded';
      return;
    case 'settle':
      f.settle = outcome === 'settled' ? 'settled' : outcome === 'unsettled' ? 'unsettled' : 'failed';
      return;
    case 'network-down':
      f.network = unknownOr(outcome, outcome === 'done' ? 'done' : 'failed');
      return;
    case 'backup':
      if (store)
        store.backup = unknownOr(
          outcome,
          outcome === 'verified' || outcome === 'omitted' ? outcome : 'failed',
        );
      return;
    case 'erase':
      if (!store) return;
      if (outcome === 'changed') {
        // Its bytes changed since the backup: back it up again before it may be erased.
        store.backup = 'pending';
        store.changes++;
        return;
      }
      store.erase = unknownOr(
        outcome,
        outcome === 'verified' ? 'verified' : outcome === 'skipped' ? 'skipped' : 'failed',
      );
      return;
    case 'key-zeroization':
      f.keys = unknownOr(outcome, outcome === 'done' ? 'done' : outcome === 'skipped' ? 'skipped' : 'failed');
      return;
    case 'unbind':
      f.unbind = outcome === 'done' ? 'done' : outcome === 'skipped' ? 'skipped' : 'failed';
      return;
    case 'finalize':
      f.finalize = outcome === 'done' ? 'done' : outcome === 'skipped' ? 'skipped' : 'failed';
      return;
  }
}

export function factsFromJournal(
  entries: JournalEntry[],
  caps: FactCaps,
): { facts: JobFacts; inventory: Inventory } | undefined {
  const job = entries.find((e) => e.type === 'job');
  const inv = [...entries].reverse().find((e) => e.type === 'result' && e.step === 'inventory');
  if (!job || !inv) return undefined;
  const inventory = inv.data!.inventory as Inventory;
  const facts = initialFacts(inventory, policyOf(entries), caps);
  for (const e of entries) {
    if (e.type !== 'result' || !e.step) continue;
    if (Array.isArray(e.data?.anomalies)) facts.anomalies.push(...(e.data.anomalies as string[]));
    if (e.step !== 'inventory') applyResult(facts, e.step, e.target, String(e.data?.outcome));
  }
  return { facts, inventory };
}

/** The policy the job entry recorded (a job from before --card-data-backup keeps its backups). */
export function policyOf(entries: JournalEntry[]): JobPolicy {
  const job = entries.find((e) => e.type === 'job')?.data ?? {};
  return {
    allowUnsettled: job.allowUnsettled === true,
    cardDataBackup: job.cardDataBackup === 'omit' ? 'omit' : 'keep',
  };
}

/** Every StepRecord journaled, the latest per step and target, in the order they first ran. */
export function recordsFromJournal(entries: JournalEntry[]): StepRecord[] {
  const byKey = new Map<string, StepRecord>();
  for (const e of entries) {
    if (e.type !== 'result') continue;
    const records = (e.data?.records ?? []) as StepRecord[];
    for (const r of records) {
      const key = `${r.step}\u0000${r.target ?? ''}`;
      if (byKey.has(key)) byKey.delete(key);
      byKey.set(key, r);
    }
  }

  return [...byKey.values()].sort((a, b) => STEP_NAMES.indexOf(a.step) - STEP_NAMES.indexOf(b.step));
}

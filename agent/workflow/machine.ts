/**
 * The decommission job's order and guards, in one place (issue 3). A pure function from what
 * the journal says has happened to the one thing to do next; the runner does the I/O.
 *
 *   inventory -> disable-acceptance -> settle -> network-down -> backup (each store)
 *     -> erase + verify (each store) -> key-zeroization -> unbind -> finalize -> certificate
 *
 * Guards that protect money and data:
 *   - no erase of a store without a verified backup of that store;
 *   - nothing is erased while any backup failed;
 *   - the batch store is never erased while the batch is unsettled;
 *   - no unbind before settlement;
 *   - finalize only when every store's erase was verified, keys are gone and the terminal is unbound.
 */
export type Outcome = 'pending' | 'done' | 'failed' | 'skipped';
export type SettleOutcome = 'pending' | 'settled' | 'unsettled' | 'failed';

export interface StoreFacts {
  name: string;
  holdsBatch: boolean;
  backup: 'pending' | 'verified' | 'failed';
  erase: 'pending' | 'verified' | 'failed' | 'skipped';
}

export interface JobFacts {
  inventoried: boolean;
  acceptance: Outcome;
  settle: SettleOutcome;
  allowUnsettled: boolean;
  network: Outcome;
  stores: StoreFacts[];
  keys: Outcome;
  canZeroize: boolean;
  unbind: Outcome;
  finalize: Outcome;
  certificate: 'pending' | 'done';
}

export type StopKind = 'precondition' | 'backup' | 'anomaly';

export type Action =
  | { do: 'inventory' }
  | { do: 'disable-acceptance' }
  | { do: 'settle' }
  | { do: 'network-down' }
  | { do: 'backup'; store: string }
  | { do: 'erase'; store: string }
  | { do: 'zeroize' }
  | { do: 'unbind' }
  | { do: 'finalize' }
  /** A guard refused a step: it is recorded as not done, with the reason, and never attempted. */
  | { do: 'skip'; step: 'erase' | 'key-zeroization' | 'unbind' | 'finalize'; target?: string; reason: string }
  | { do: 'stop'; kind: StopKind; reason: string }
  | { do: 'certificate' }
  | { do: 'done' };

export function nextAction(f: JobFacts): Action {
  if (!f.inventoried) return { do: 'inventory' };

  if (f.acceptance === 'pending') return { do: 'disable-acceptance' };
  if (f.acceptance === 'failed') {
    return { do: 'stop', kind: 'precondition', reason: 'payment acceptance could not be confirmed off' };
  }

  if (f.settle === 'pending') return { do: 'settle' };
  if (f.settle === 'failed' || (f.settle === 'unsettled' && !f.allowUnsettled)) {
    return {
      do: 'stop',
      kind: 'precondition',
      reason: 'the open batch could not be settled; money would be left unsettled (see --allow-unsettled)',
    };
  }

  if (f.network === 'pending') return { do: 'network-down' };
  if (f.network === 'failed') {
    return { do: 'stop', kind: 'precondition', reason: 'the network links could not be confirmed down' };
  }

  const toBackUp = f.stores.find((s) => s.backup === 'pending');
  if (toBackUp) return { do: 'backup', store: toBackUp.name };
  const failedBackups = f.stores.filter((s) => s.backup === 'failed').map((s) => s.name);
  if (failedBackups.length > 0 && f.stores.some((s) => s.erase === 'pending')) {
    return {
      do: 'stop',
      kind: 'backup',
      reason: `backup failed for ${failedBackups.join(', ')}; nothing was erased`,
    };
  }

  for (const s of f.stores) {
    if (s.erase !== 'pending') continue;
    if (s.backup !== 'verified') {
      return { do: 'skip', step: 'erase', target: s.name, reason: 'no verified backup of this store' };
    }
    if (s.holdsBatch && f.settle !== 'settled') {
      return { do: 'skip', step: 'erase', target: s.name, reason: 'the batch is not settled' };
    }
    return { do: 'erase', store: s.name };
  }

  if (f.keys === 'pending') {
    return f.canZeroize
      ? { do: 'zeroize' }
      : { do: 'skip', step: 'key-zeroization', reason: 'the terminal driver cannot zeroize keys' };
  }

  if (f.unbind === 'pending') {
    if (f.settle !== 'settled') return { do: 'skip', step: 'unbind', reason: 'no unbind before settlement' };
    return { do: 'unbind' };
  }

  if (f.finalize === 'pending') {
    const unerased = f.stores.filter((s) => s.erase !== 'verified').map((s) => s.name);
    if (unerased.length > 0) {
      return { do: 'skip', step: 'finalize', reason: `erase not verified for ${unerased.join(', ')}` };
    }
    if (f.keys !== 'done')
      return { do: 'skip', step: 'finalize', reason: 'keys were not confirmed zeroized' };
    if (f.unbind !== 'done')
      return { do: 'skip', step: 'finalize', reason: 'the terminal is not confirmed unbound' };
    return { do: 'finalize' };
  }

  if (f.certificate === 'pending') return { do: 'certificate' };
  return { do: 'done' };
}

/**
 * The decommission job's order and guards, in one place (issue 3). A pure function from what
 * the journal says has happened to the one thing to do next; the runner does the I/O.
 *
 *   inventory -> disable-acceptance -> forward-saf -> settle -> network-down -> backup (each store)
 *     -> erase + verify (each store) -> key-zeroization -> unbind -> finalize -> certificate
 *
 * Guards that protect money and data:
 *   - a terminal whose answers contradict each other (store-list.ts) is changed no further;
 *   - money first: no settle before the SAF queue is forwarded (or forwarding failed and
 *     --allow-unsettled allows going on), and nothing at all while it is not allowed;
 *   - no erase of a store without a verified backup of that store (and, at the moment of the
 *     erase, of the bytes it holds then: a store that changed is backed up again), except a
 *     store holding card data when --card-data-backup omit chose not to keep a copy of card
 *     data (the only case);
 *   - nothing is erased while any backup failed;
 *   - the batch store is never erased while the batch is unsettled, the saf store never while
 *     its queue is not forwarded;
 *   - no unbind before settlement and forwarding;
 *   - finalize only when every store's erase was verified, keys are gone and the terminal is unbound.
 *
 * A step the protocol has no command for (ZVT: acceptance, networks, keys; a store the terminal
 * will not give out) is `not-possible`: recorded UNKNOWN (ATTESTED when the technician attests)
 * and passed, never a stop and never PASS. Its outcome `unknown` arises only that way, so the
 * guards below let it through only where the protocol itself cannot measure; a step that could
 * be done and failed still stops the job. The line protocol can do every step: for it nothing
 * here changed. (The SAF queue ZVT cannot see is the forward step's to record: steps/forward.ts.)
 */
export type Outcome = 'pending' | 'done' | 'failed' | 'skipped' | 'unknown';
export type SettleOutcome = 'pending' | 'settled' | 'unsettled' | 'failed';
/**
 * forwarded: STATUS shows the queue empty afterwards; unforwarded: it is not (refused, or
 * a 1.0 terminal with a saf store that cannot say); not-reported: a 1.0 terminal without one.
 */
export type SafOutcome = 'pending' | 'forwarded' | 'unforwarded' | 'not-reported';
export type CardDataBackup = 'keep' | 'omit';

export interface StoreFacts {
  name: string;
  holdsBatch: boolean;
  holdsSaf: boolean;
  /** STORES says the store may hold cardholder data. */
  cardData: boolean;
  /** `unknown`: the terminal does not give the store out (it stays there, neither backed up nor erased). */
  backup: 'pending' | 'verified' | 'failed' | 'omitted' | 'unknown';
  erase: 'pending' | 'verified' | 'failed' | 'skipped' | 'unknown';
  /** How often its content changed between its backup and its erase (it was backed up again). */
  changes: number;
}

/** Steps the driver's protocol has no command for (DriverCapabilities.measures null). */
export interface NotPossible {
  acceptance: boolean;
  network: boolean;
  zeroize: boolean;
}

export interface JobFacts {
  inventoried: boolean;
  /** Contradictions in the terminal's answers (a store hidden, shrunk or appearing): stop. */
  anomalies: string[];
  acceptance: Outcome;
  saf: SafOutcome;
  settle: SettleOutcome;
  allowUnsettled: boolean;
  cardDataBackup: CardDataBackup;
  network: Outcome;
  stores: StoreFacts[];
  keys: Outcome;
  canZeroize: boolean;
  notPossible: NotPossible;
  unbind: Outcome;
  finalize: Outcome;
  certificate: 'pending' | 'done';
}

export type StopKind = 'precondition' | 'backup' | 'anomaly';

export type Action =
  | { do: 'inventory' }
  | { do: 'disable-acceptance' }
  | { do: 'forward-saf' }
  | { do: 'settle' }
  | { do: 'network-down' }
  | { do: 'backup'; store: string }
  /** --card-data-backup omit: a store holding card data is recorded as not backed up, and why. */
  | { do: 'omit-backup'; store: string; reason: string }
  | { do: 'erase'; store: string }
  | { do: 'zeroize' }
  | { do: 'unbind' }
  | { do: 'finalize' }
  /** The protocol cannot do or measure this step: recorded UNKNOWN with the reason, and passed. */
  | {
      do: 'not-possible';
      step: 'disable-acceptance' | 'network-down' | 'erase' | 'key-zeroization';
      target?: string;
      reason: string;
    }
  /** A guard refused a step: it is recorded as not done, with the reason, and never attempted. */
  | { do: 'skip'; step: 'erase' | 'key-zeroization' | 'unbind' | 'finalize'; target?: string; reason: string }
  | { do: 'stop'; kind: StopKind; reason: string }
  | { do: 'certificate' }
  | { do: 'done' };

export const OMIT_REASON =
  'it may hold card data and --card-data-backup omit was chosen: no copy of card data is kept';

const NO_COMMAND = 'no standard command';

/** Money first: settlement waits until the SAF queue is gone, or its failure was allowed. */
function maySettle(f: JobFacts): boolean {
  return f.saf === 'forwarded' || f.saf === 'not-reported' || (f.saf === 'unforwarded' && f.allowUnsettled);
}

/** The only erase without a verified backup: card data the technician chose not to copy. */
function mayEraseWithoutBackup(f: JobFacts, s: StoreFacts): boolean {
  return s.backup === 'omitted' && s.cardData && f.cardDataBackup === 'omit';
}

/** The next store to erase, or the guard that refuses it. */
function nextErase(f: JobFacts): Action | undefined {
  const s = f.stores.find((x) => x.erase === 'pending');
  if (!s) return undefined;
  if (s.backup === 'unknown') {
    const reason = 'the terminal does not give this store out: it is neither backed up nor erased';
    return { do: 'not-possible', step: 'erase', target: s.name, reason };
  }
  if (s.backup !== 'verified' && !mayEraseWithoutBackup(f, s)) {
    return { do: 'skip', step: 'erase', target: s.name, reason: 'no verified backup of this store' };
  }
  if (s.holdsBatch && f.settle !== 'settled') {
    return { do: 'skip', step: 'erase', target: s.name, reason: 'the batch is not settled' };
  }
  if (s.holdsSaf && f.saf !== 'forwarded') {
    return { do: 'skip', step: 'erase', target: s.name, reason: 'the SAF queue was not forwarded' };
  }
  return { do: 'erase', store: s.name };
}

export function nextAction(f: JobFacts): Action {
  if (!f.inventoried) return { do: 'inventory' };

  if (f.anomalies.length > 0) {
    const more = f.anomalies.length > 1 ? ` (and ${f.anomalies.length - 1} more)` : '';
    return {
      do: 'stop',
      kind: 'anomaly',
      reason: `the terminal's answers contradict each other: ${f.anomalies[0]}${more}; nothing more is changed`,
    };
  }

  if (f.acceptance === 'pending') {
    return f.notPossible.acceptance
      ? { do: 'not-possible', step: 'disable-acceptance', reason: NO_COMMAND }
      : { do: 'disable-acceptance' };
  }
  if (f.acceptance === 'failed') {
    return { do: 'stop', kind: 'precondition', reason: 'payment acceptance could not be confirmed off' };
  }

  if (f.saf === 'pending') return { do: 'forward-saf' };
  if (!maySettle(f)) {
    return {
      do: 'stop',
      kind: 'precondition',
      reason:
        'the store-and-forward queue could not be forwarded; offline payments would be lost (see --allow-unsettled)',
    };
  }

  if (f.settle === 'pending') return { do: 'settle' };
  if (f.settle === 'failed' || (f.settle === 'unsettled' && !f.allowUnsettled)) {
    return {
      do: 'stop',
      kind: 'precondition',
      reason: 'the open batch could not be settled; money would be left unsettled (see --allow-unsettled)',
    };
  }

  if (f.network === 'pending') {
    return f.notPossible.network
      ? { do: 'not-possible', step: 'network-down', reason: NO_COMMAND }
      : { do: 'network-down' };
  }
  if (f.network === 'failed') {
    return { do: 'stop', kind: 'precondition', reason: 'the network links could not be confirmed down' };
  }

  const forStores = storeAction(f);
  if (forStores) return forStores;

  if (f.keys === 'pending') {
    if (f.canZeroize) return { do: 'zeroize' };
    if (f.notPossible.zeroize) return { do: 'not-possible', step: 'key-zeroization', reason: NO_COMMAND };
    return { do: 'skip', step: 'key-zeroization', reason: 'the terminal driver cannot zeroize keys' };
  }

  if (f.unbind === 'pending') {
    if (f.settle !== 'settled') return { do: 'skip', step: 'unbind', reason: 'no unbind before settlement' };
    if (f.saf === 'unforwarded') {
      return { do: 'skip', step: 'unbind', reason: 'no unbind while the SAF queue waits to be forwarded' };
    }
    return { do: 'unbind' };
  }

  if (f.finalize === 'pending') {
    // A store the terminal never gave out, and keys no command can reach, do not block the end:
    // the certificate already says UNKNOWN for them.
    const unerased = f.stores
      .filter((s) => s.erase !== 'verified' && s.erase !== 'unknown')
      .map((s) => s.name);
    if (unerased.length > 0) {
      return { do: 'skip', step: 'finalize', reason: `erase not verified for ${unerased.join(', ')}` };
    }
    if (f.keys !== 'done' && f.keys !== 'unknown')
      return { do: 'skip', step: 'finalize', reason: 'keys were not confirmed zeroized' };
    if (f.unbind !== 'done')
      return { do: 'skip', step: 'finalize', reason: 'the terminal is not confirmed unbound' };
    return { do: 'finalize' };
  }

  if (f.certificate === 'pending') return { do: 'certificate' };
  return { do: 'done' };
}

/** Backups, then erases, store by store; undefined when every store is done with. */
function storeAction(f: JobFacts): Action | undefined {
  const toBackUp = f.stores.find((s) => s.backup === 'pending');
  if (toBackUp) {
    return toBackUp.cardData && f.cardDataBackup === 'omit'
      ? { do: 'omit-backup', store: toBackUp.name, reason: OMIT_REASON }
      : { do: 'backup', store: toBackUp.name };
  }
  const failedBackups = f.stores.filter((s) => s.backup === 'failed').map((s) => s.name);
  if (failedBackups.length > 0 && f.stores.some((s) => s.erase === 'pending')) {
    return {
      do: 'stop',
      kind: 'backup',
      reason: `backup failed for ${failedBackups.join(', ')}; nothing was erased`,
    };
  }
  return nextErase(f);
}

import { describe, expect, it } from 'vitest';
import {
  nextAction,
  OMIT_REASON,
  type Action,
  type JobFacts,
  type StoreFacts,
} from '../agent/workflow/machine.js';
import { exitForFacts } from '../agent/workflow/steps/perform.js';

const store = (name: string, over: Partial<StoreFacts> = {}): StoreFacts => ({
  name,
  holdsBatch: name === 'batch',
  holdsSaf: name === 'saf',
  cardData: name === 'batch' || name === 'saf',
  backup: 'verified',
  erase: 'pending',
  changes: 0,
  ...over,
});

const fresh: JobFacts = {
  inventoried: false,
  anomalies: [],
  acceptance: 'pending',
  saf: 'pending',
  settle: 'pending',
  allowUnsettled: false,
  cardDataBackup: 'keep',
  network: 'pending',
  stores: [store('journal', { backup: 'pending' }), store('batch', { backup: 'pending' })],
  keys: 'pending',
  canZeroize: true,
  notPossible: { acceptance: false, network: false, zeroize: false },
  unbind: 'pending',
  finalize: 'pending',
  certificate: 'pending',
};

const afterNetwork: JobFacts = {
  ...fresh,
  inventoried: true,
  acceptance: 'done',
  saf: 'forwarded',
  settle: 'settled',
  network: 'done',
};
const afterErase: JobFacts = {
  ...afterNetwork,
  stores: [store('journal', { erase: 'verified' }), store('batch', { erase: 'verified' })],
};

const table: [string, JobFacts, Action][] = [
  ['a fresh job starts with the inventory', fresh, { do: 'inventory' }],
  ['acceptance is switched off first', { ...fresh, inventoried: true }, { do: 'disable-acceptance' }],
  [
    'acceptance that stays on stops the job',
    { ...fresh, inventoried: true, acceptance: 'failed' },
    { do: 'stop', kind: 'precondition', reason: 'payment acceptance could not be confirmed off' },
  ],
  [
    'money first: the SAF queue is forwarded before anything is settled',
    { ...fresh, inventoried: true, acceptance: 'done' },
    { do: 'forward-saf' },
  ],
  [
    'a SAF queue that will not forward stops the job before settlement',
    { ...fresh, inventoried: true, acceptance: 'done', saf: 'unforwarded' },
    {
      do: 'stop',
      kind: 'precondition',
      reason:
        'the store-and-forward queue could not be forwarded; offline payments would be lost (see --allow-unsettled)',
    },
  ],
  [
    'with --allow-unsettled an unforwarded SAF queue goes on to settlement',
    { ...fresh, inventoried: true, acceptance: 'done', saf: 'unforwarded', allowUnsettled: true },
    { do: 'settle' },
  ],
  [
    'a terminal that cannot report a SAF queue and has no saf store goes on to settlement',
    { ...fresh, inventoried: true, acceptance: 'done', saf: 'not-reported' },
    { do: 'settle' },
  ],
  [
    'settlement comes before the network goes down',
    { ...fresh, inventoried: true, acceptance: 'done', saf: 'forwarded' },
    { do: 'settle' },
  ],
  [
    'an unsettled batch stops the job',
    { ...fresh, inventoried: true, acceptance: 'done', saf: 'forwarded', settle: 'unsettled' },
    {
      do: 'stop',
      kind: 'precondition',
      reason: 'the open batch could not be settled; money would be left unsettled (see --allow-unsettled)',
    },
  ],
  [
    'with --allow-unsettled an unsettled batch goes on to network-down',
    {
      ...fresh,
      inventoried: true,
      acceptance: 'done',
      saf: 'forwarded',
      settle: 'unsettled',
      allowUnsettled: true,
    },
    { do: 'network-down' },
  ],
  ['network down before any backup', { ...afterNetwork, network: 'pending' }, { do: 'network-down' }],
  ['stores are backed up in order', afterNetwork, { do: 'backup', store: 'journal' }],
  [
    'every backup before the first erase',
    { ...afterNetwork, stores: [store('journal'), store('batch', { backup: 'pending' })] },
    { do: 'backup', store: 'batch' },
  ],
  [
    'a failed backup stops the job before anything is erased',
    { ...afterNetwork, stores: [store('journal'), store('batch', { backup: 'failed' })] },
    { do: 'stop', kind: 'backup', reason: 'backup failed for batch; nothing was erased' },
  ],
  [
    'erase follows verified backups',
    { ...afterNetwork, stores: [store('journal'), store('batch')] },
    { do: 'erase', store: 'journal' },
  ],
  [
    'no erase without a verified backup of that store',
    { ...afterNetwork, stores: [store('journal', { backup: 'failed', erase: 'pending' })] },
    { do: 'stop', kind: 'backup', reason: 'backup failed for journal; nothing was erased' },
  ],
  [
    'the batch store is not erased while the batch is unsettled',
    {
      ...afterNetwork,
      settle: 'unsettled',
      allowUnsettled: true,
      stores: [store('journal', { erase: 'verified' }), store('batch')],
    },
    { do: 'skip', step: 'erase', target: 'batch', reason: 'the batch is not settled' },
  ],
  [
    'the saf store is not erased while its queue is not forwarded',
    {
      ...afterNetwork,
      saf: 'unforwarded',
      allowUnsettled: true,
      stores: [store('journal', { erase: 'verified' }), store('saf')],
    },
    { do: 'skip', step: 'erase', target: 'saf', reason: 'the SAF queue was not forwarded' },
  ],
  [
    'with --card-data-backup omit a store holding card data is recorded as not backed up',
    {
      ...afterNetwork,
      cardDataBackup: 'omit',
      stores: [store('journal'), store('saf', { backup: 'pending' })],
    },
    { do: 'omit-backup', store: 'saf', reason: OMIT_REASON },
  ],
  [
    'with --card-data-backup omit a store without card data is still backed up',
    { ...afterNetwork, cardDataBackup: 'omit', stores: [store('journal', { backup: 'pending' })] },
    { do: 'backup', store: 'journal' },
  ],
  [
    'a card-data store not backed up under --card-data-backup omit is still erased',
    {
      ...afterNetwork,
      cardDataBackup: 'omit',
      stores: [store('journal', { erase: 'verified' }), store('saf', { backup: 'omitted' })],
    },
    { do: 'erase', store: 'saf' },
  ],
  [
    'an omitted backup allows no erase once the job keeps card data',
    {
      ...afterNetwork,
      cardDataBackup: 'keep',
      stores: [store('journal', { erase: 'verified' }), store('saf', { backup: 'omitted' })],
    },
    { do: 'skip', step: 'erase', target: 'saf', reason: 'no verified backup of this store' },
  ],
  [
    'an omitted backup of a store without card data allows no erase',
    {
      ...afterNetwork,
      cardDataBackup: 'omit',
      stores: [store('journal', { backup: 'omitted', cardData: false })],
    },
    { do: 'skip', step: 'erase', target: 'journal', reason: 'no verified backup of this store' },
  ],
  [
    'a terminal whose answers contradict each other is changed no further',
    { ...afterNetwork, anomalies: ['STORES no longer lists saf', 'journal shrank'] },
    {
      do: 'stop',
      kind: 'anomaly',
      reason:
        "the terminal's answers contradict each other: STORES no longer lists saf (and 1 more); nothing more is changed",
    },
  ],
  [
    'a store whose backup is pending again (the erase step found its bytes changed: facts.ts) is backed up before anything else',
    { ...afterNetwork, stores: [store('journal', { backup: 'pending', changes: 1 }), store('batch')] },
    { do: 'backup', store: 'journal' },
  ],
  ['keys are zeroized after every erase', afterErase, { do: 'zeroize' }],
  [
    'a driver without zeroize records it as not done',
    { ...afterErase, canZeroize: false },
    { do: 'skip', step: 'key-zeroization', reason: 'the terminal driver cannot zeroize keys' },
  ],
  ['unbind after zeroization', { ...afterErase, keys: 'done' }, { do: 'unbind' }],
  [
    'no unbind before settlement',
    { ...afterErase, settle: 'unsettled', allowUnsettled: true, keys: 'done' },
    { do: 'skip', step: 'unbind', reason: 'no unbind before settlement' },
  ],
  [
    'no unbind while the SAF queue waits to be forwarded',
    { ...afterErase, saf: 'unforwarded', allowUnsettled: true, keys: 'done' },
    { do: 'skip', step: 'unbind', reason: 'no unbind while the SAF queue waits to be forwarded' },
  ],
  ['finalize when everything is done', { ...afterErase, keys: 'done', unbind: 'done' }, { do: 'finalize' }],
  [
    'no finalize while a store erase failed verification',
    {
      ...afterErase,
      stores: [store('journal', { erase: 'failed' }), store('batch', { erase: 'verified' })],
      keys: 'done',
      unbind: 'done',
    },
    { do: 'skip', step: 'finalize', reason: 'erase not verified for journal' },
  ],
  [
    'no finalize while keys are not gone',
    { ...afterErase, keys: 'failed', unbind: 'done' },
    { do: 'skip', step: 'finalize', reason: 'keys were not confirmed zeroized' },
  ],
  [
    'no finalize while still bound',
    { ...afterErase, keys: 'done', unbind: 'failed' },
    { do: 'skip', step: 'finalize', reason: 'the terminal is not confirmed unbound' },
  ],
  [
    'the certificate comes last',
    { ...afterErase, keys: 'done', unbind: 'done', finalize: 'done' },
    { do: 'certificate' },
  ],
  [
    'then the job is done',
    { ...afterErase, keys: 'done', unbind: 'done', finalize: 'done', certificate: 'done' },
    { do: 'done' },
  ],
];

describe('decommission state machine', () => {
  it.each(table)('%s', (_title, facts, expected) => {
    expect(nextAction(facts)).toEqual(expected);
  });

  it('never proposes erasing a store whose backup is not verified, except card data under omit', () => {
    const outcomes = ['pending', 'verified', 'failed', 'omitted'] as const;
    for (const a of outcomes)
      for (const b of outcomes)
        for (const settle of ['settled', 'unsettled'] as const)
          for (const cardDataBackup of ['keep', 'omit'] as const) {
            const facts: JobFacts = {
              ...afterNetwork,
              settle,
              allowUnsettled: true,
              cardDataBackup,
              stores: [store('journal', { backup: a }), store('batch', { backup: b })],
            };
            const action = nextAction(facts);
            if (action.do !== 'erase') continue;
            const target = facts.stores.find((s) => s.name === action.store)!;
            if (target.backup !== 'verified') {
              expect([target.backup, target.cardData, cardDataBackup]).toEqual(['omitted', true, 'omit']);
            }
            expect(facts.stores.every((s) => s.backup === 'verified' || s.backup === 'omitted')).toBe(true);
          }
  });

  it('never proposes settling, unbinding or erasing the saf store before the queue is forwarded', () => {
    for (const saf of ['pending', 'unforwarded'] as const)
      for (const allowUnsettled of [false, true]) {
        let facts: JobFacts = {
          ...afterNetwork,
          saf,
          settle: 'pending',
          allowUnsettled,
          stores: [store('saf', { backup: 'verified' })],
        };
        const seen: string[] = [];
        for (let i = 0; i < 20; i++) {
          const action = nextAction(facts);
          seen.push(action.do);
          if (action.do === 'stop' || action.do === 'done') break;
          facts = advance(facts, action);
        }
        if (saf === 'pending') expect(seen[0]).toBe('forward-saf');
        if (saf === 'unforwarded') {
          expect(seen).not.toContain('unbind');
          expect(seen).not.toContain('erase');
          expect(seen.includes('settle')).toBe(allowUnsettled);
        }
      }
  });
});

describe('the exit code of a finished job', () => {
  const finished: JobFacts = { ...afterErase, keys: 'done', unbind: 'done', finalize: 'done' };
  it.each([
    ['PASS is 0', finished, 'PASS', 0],
    ['INCOMPLETE (nothing failed, something not measured) is 11', finished, 'INCOMPLETE', 11],
    ['an unforwarded SAF queue is 6', { ...finished, saf: 'unforwarded' as const }, 'FAIL', 6],
    ['an unsettled batch is 6', { ...finished, settle: 'unsettled' as const }, 'FAIL', 6],
    [
      'an omitted backup of card data is no backup failure',
      { ...finished, stores: [store('saf', { backup: 'omitted', erase: 'failed' })] },
      'FAIL',
      8,
    ],
    [
      'an erase not verified is 8',
      { ...finished, stores: [store('journal', { erase: 'failed' })] },
      'FAIL',
      8,
    ],
  ])('%s', (_title, facts, overall, code) => {
    expect(exitForFacts(facts, overall)).toBe(code);
  });
});

/** What the runner would record after `a` succeeded, as the journal would replay it. */
function advance(f: JobFacts, a: Action): JobFacts {
  const next: JobFacts = { ...f, stores: f.stores.map((s) => ({ ...s })) };
  const target = 'store' in a ? next.stores.find((s) => s.name === a.store) : undefined;
  switch (a.do) {
    case 'forward-saf':
      next.saf = 'unforwarded';
      break;
    case 'settle':
      next.settle = 'settled';
      break;
    case 'network-down':
      next.network = 'done';
      break;
    case 'erase':
      target!.erase = 'verified';
      break;
    case 'skip':
      if (a.step === 'erase') next.stores.find((s) => s.name === a.target)!.erase = 'skipped';
      if (a.step === 'unbind') next.unbind = 'skipped';
      if (a.step === 'finalize') next.finalize = 'skipped';
      if (a.step === 'key-zeroization') next.keys = 'skipped';
      break;
    case 'zeroize':
      next.keys = 'done';
      break;
    case 'unbind':
      next.unbind = 'done';
      break;
    case 'finalize':
      next.finalize = 'done';
      break;
    case 'certificate':
      next.certificate = 'done';
      break;
  }
  return next;
}

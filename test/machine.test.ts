import { describe, expect, it } from 'vitest';
import { nextAction, type Action, type JobFacts, type StoreFacts } from '../agent/workflow/machine.js';

const store = (name: string, over: Partial<StoreFacts> = {}): StoreFacts => ({
  name,
  holdsBatch: name === 'batch',
  backup: 'verified',
  erase: 'pending',
  ...over,
});

const fresh: JobFacts = {
  inventoried: false,
  acceptance: 'pending',
  settle: 'pending',
  allowUnsettled: false,
  network: 'pending',
  stores: [store('journal', { backup: 'pending' }), store('batch', { backup: 'pending' })],
  keys: 'pending',
  canZeroize: true,
  unbind: 'pending',
  finalize: 'pending',
  certificate: 'pending',
};

const afterNetwork: JobFacts = {
  ...fresh,
  inventoried: true,
  acceptance: 'done',
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
    'settlement comes before the network goes down',
    { ...fresh, inventoried: true, acceptance: 'done' },
    { do: 'settle' },
  ],
  [
    'an unsettled batch stops the job',
    { ...fresh, inventoried: true, acceptance: 'done', settle: 'unsettled' },
    {
      do: 'stop',
      kind: 'precondition',
      reason: 'the open batch could not be settled; money would be left unsettled (see --allow-unsettled)',
    },
  ],
  [
    'with --allow-unsettled an unsettled batch goes on to network-down',
    { ...fresh, inventoried: true, acceptance: 'done', settle: 'unsettled', allowUnsettled: true },
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

  it('never proposes erasing a store whose backup is not verified, whatever the facts', () => {
    const outcomes = ['pending', 'verified', 'failed'] as const;
    for (const a of outcomes)
      for (const b of outcomes)
        for (const settle of ['settled', 'unsettled'] as const) {
          const facts: JobFacts = {
            ...afterNetwork,
            settle,
            allowUnsettled: true,
            stores: [store('journal', { backup: a }), store('batch', { backup: b })],
          };
          const action = nextAction(facts);
          if (action.do === 'erase') {
            expect(facts.stores.find((s) => s.name === action.store)?.backup).toBe('verified');
            expect(facts.stores.every((s) => s.backup === 'verified')).toBe(true);
          }
        }
  });
});

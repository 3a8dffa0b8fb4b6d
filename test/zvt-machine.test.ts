import { describe, expect, it } from 'vitest';
import { nextAction, type Action, type JobFacts, type StoreFacts } from '../agent/workflow/machine.js';

/**
 * The state machine with a protocol that cannot do every step (ZVT): such a step is
 * `not-possible` (recorded UNKNOWN, passed), and every guard that protects money and data holds.
 */
const store = (name: string, over: Partial<StoreFacts> = {}): StoreFacts => ({
  name,
  holdsBatch: false,
  holdsSaf: false,
  cardData: true,
  changes: 0,
  backup: 'verified',
  erase: 'pending',
  ...over,
});

const zvt: JobFacts = {
  inventoried: true,
  anomalies: [],
  acceptance: 'pending',
  saf: 'pending',
  settle: 'pending',
  allowUnsettled: false,
  cardDataBackup: 'keep',
  network: 'pending',
  stores: [store('merchant-journal', { backup: 'pending' }), store('event-log', { backup: 'pending' })],
  keys: 'pending',
  canZeroize: false,
  notPossible: { acceptance: true, network: true, zeroize: true },
  unbind: 'pending',
  finalize: 'pending',
  certificate: 'pending',
};
const NO = 'no standard command';
const afterBackup: JobFacts = {
  ...zvt,
  acceptance: 'unknown',
  saf: 'not-reported',
  settle: 'settled',
  network: 'unknown',
  stores: [store('merchant-journal'), store('event-log')],
};
const afterErase: JobFacts = {
  ...afterBackup,
  stores: [store('merchant-journal', { erase: 'verified' }), store('event-log', { erase: 'verified' })],
};

const table: [string, JobFacts, Action][] = [
  [
    'acceptance ZVT cannot switch is recorded, not attempted',
    zvt,
    { do: 'not-possible', step: 'disable-acceptance', reason: NO },
  ],
  [
    'an unknown acceptance is passed: the SAF queue comes next',
    { ...zvt, acceptance: 'unknown' },
    { do: 'forward-saf' },
  ],
  [
    'a SAF queue ZVT cannot report (recorded UNKNOWN by the step) does not hold settlement back',
    { ...zvt, acceptance: 'unknown', saf: 'not-reported' },
    { do: 'settle' },
  ],
  [
    'an acceptance that could be switched and failed still stops',
    { ...zvt, acceptance: 'failed' },
    { do: 'stop', kind: 'precondition', reason: 'payment acceptance could not be confirmed off' },
  ],
  [
    'networks ZVT cannot take down are recorded',
    { ...zvt, acceptance: 'unknown', saf: 'not-reported', settle: 'settled' },
    { do: 'not-possible', step: 'network-down', reason: NO },
  ],
  [
    'an unsettled batch still stops the job',
    { ...zvt, acceptance: 'unknown', saf: 'not-reported', settle: 'unsettled' },
    {
      do: 'stop',
      kind: 'precondition',
      reason: 'the open batch could not be settled; money would be left unsettled (see --allow-unsettled)',
    },
  ],
  [
    'backups after the network step, unknown or not',
    { ...afterBackup, stores: [store('merchant-journal', { backup: 'pending' })] },
    { do: 'backup', store: 'merchant-journal' },
  ],
  [
    'a store the terminal does not give out is recorded, never deleted',
    { ...afterBackup, stores: [store('files', { backup: 'unknown' })] },
    {
      do: 'not-possible',
      step: 'erase',
      target: 'files',
      reason: 'the terminal does not give this store out: it is neither backed up nor erased',
    },
  ],
  [
    'no delete without a verified backup: a failed one stops everything',
    { ...afterBackup, stores: [store('merchant-journal', { backup: 'failed' }), store('event-log')] },
    { do: 'stop', kind: 'backup', reason: 'backup failed for merchant-journal; nothing was erased' },
  ],
  [
    'keys ZVT cannot zeroize are recorded',
    afterErase,
    { do: 'not-possible', step: 'key-zeroization', reason: NO },
  ],
  ['unbind after a settled batch', { ...afterErase, keys: 'unknown' }, { do: 'unbind' }],
  [
    'no Reset Terminal-ID before a successful End-of-Day',
    { ...afterErase, settle: 'unsettled', allowUnsettled: true, keys: 'unknown' },
    { do: 'skip', step: 'unbind', reason: 'no unbind before settlement' },
  ],
  [
    'confirm when keys could not be zeroized by the protocol',
    { ...afterErase, keys: 'unknown', unbind: 'done' },
    { do: 'finalize' },
  ],
  [
    'confirm with a store the terminal never gave out',
    {
      ...afterErase,
      stores: [store('files', { backup: 'unknown', erase: 'unknown' })],
      keys: 'unknown',
      unbind: 'done',
    },
    { do: 'finalize' },
  ],
  [
    'no confirm while a delete failed',
    {
      ...afterErase,
      stores: [store('merchant-journal', { erase: 'failed' })],
      keys: 'unknown',
      unbind: 'done',
    },
    { do: 'skip', step: 'finalize', reason: 'erase not verified for merchant-journal' },
  ],
  [
    'no confirm while still bound',
    { ...afterErase, keys: 'unknown', unbind: 'failed' },
    { do: 'skip', step: 'finalize', reason: 'the terminal is not confirmed unbound' },
  ],
];

describe('the state machine with a protocol that cannot do every step', () => {
  it.each(table)('%s', (_t, facts, expected) => expect(nextAction(facts)).toEqual(expected));

  it('never proposes a delete of a store whose backup is not verified, whatever the facts', () => {
    const outcomes = ['pending', 'verified', 'failed', 'unknown'] as const;
    for (const a of outcomes)
      for (const b of outcomes)
        for (const settle of ['settled', 'unsettled'] as const) {
          const facts: JobFacts = {
            ...afterBackup,
            settle,
            allowUnsettled: true,
            stores: [store('a', { backup: a }), store('b', { backup: b })],
          };
          const action = nextAction(facts);
          if (action.do === 'erase')
            expect(facts.stores.find((s) => s.name === action.store)?.backup).toBe('verified');
          if (action.do === 'unbind') expect(facts.settle).toBe('settled');
        }
  });
});

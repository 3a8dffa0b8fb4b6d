import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { WipeCertificate } from '../wipe/certificate/model.js';
import { hostileCases } from './helpers/hostile-cases.js';
import { frameLine, patched, type Rule } from './helpers/hostile-proxy.js';
import type { JobRun } from './helpers/job-harness.js';

/**
 * A terminal whose answers leave something out (issue 11, attacks 1-3): each ended in an overall
 * PASS before the agent checked answers against what the terminal said earlier. Now the
 * omission is FAIL, named, and nothing it could hide is erased on its word.
 */

const reply = (type: string, edit: Required<Rule>['toAgent']): Rule => ({
  toAgent: (p, w) => (p.frame.kind === 'R' && p.frame.type === type ? edit(p, w) : undefined),
});

/** After the agent has sent a request of `type`, every later answer of `answer` is edited. */
function after(type: string, answer: string, edit: Required<Rule>['toAgent']): Rule {
  let seen = false;
  return {
    toTerminal: (p) => {
      if (p.frame.type === type) seen = true;
      return undefined;
    },
    toAgent: (p, w) => (seen && p.frame.kind === 'R' && p.frame.type === answer ? edit(p, w) : undefined),
  };
}

function certificate(run: JobRun): WipeCertificate {
  return JSON.parse(readFileSync(join(run.dir, 'certificate.json'), 'utf8')) as WipeCertificate;
}

function step(run: JobRun, name: string, target?: string) {
  const found = certificate(run).steps.find((s) => s.step === name && s.target === target);
  if (!found) throw new Error(`no ${name} ${target ?? ''} in the certificate`);
  return found;
}

describe('a terminal whose answers leave something out', () => {
  hostileCases([
    {
      title:
        'stops before its first change (exit 6) when STORES leaves out a store HELLO advertised, and the certificate names it',
      rules: () => [
        reply('STORES', (p) => {
          const stores = (p.frame.header.stores as { name: string }[]).filter((s) => s.name !== 'saf');
          return frameLine({ ...p.frame, header: { ...p.frame.header, stores } });
        }),
      ],
      exit: 6,
      error: /HELLO advertised the store saf, but STORES does not list it/,
      check: (run, proxy) => {
        expect(Object.values(proxy.eraseCounts())).toEqual([0, 0, 0, 0, 0, 0]);
        expect(proxy.sim.stats().executed.CHANNEL ?? 0, 'nothing was changed').toBe(0);
        const inventory = step(run, 'inventory');
        expect(inventory.result).toBe('FAIL');
        expect(inventory.evidence.discrepancies).toEqual([
          'HELLO advertised the store saf, but STORES does not list it',
        ]);
        expect(certificate(run).overall.result).toBe('FAIL');
      },
    },
    {
      title:
        'fails network-down (exit 6) when STATUS leaves out a link the terminal has, naming it, and erases nothing',
      rules: () => [
        reply('STATUS', (p) => {
          const { ethernet: _gone, ...links } = p.frame.header.links as Record<string, string>;
          return patched(p.frame, { links });
        }),
      ],
      exit: 6,
      error: /the network links could not be confirmed down/,
      check: (run, proxy) => {
        expect(Object.values(proxy.eraseCounts())).toEqual([0, 0, 0, 0, 0, 0]);
        const network = step(run, 'network-down');
        expect(network.result).toBe('FAIL');
        expect(network.note).toMatch(/STATUS does not report ethernet, which the terminal announced/);
        expect(network.evidence).toMatchObject({ notReported: ['ethernet'], links: ['ethernet'] });
      },
    },
    {
      title: 'fails disable-acceptance (exit 6) for a channel STATUS leaves out, naming it',
      rules: () => [
        reply('STATUS', (p) => {
          const { nfc: _gone, ...channels } = p.frame.header.channels as Record<string, string>;
          return patched(p.frame, { channels });
        }),
      ],
      exit: 6,
      error: /payment acceptance could not be confirmed off/,
      check: (run) => {
        const nfc = step(run, 'disable-acceptance', 'nfc');
        expect(nfc).toMatchObject({
          result: 'FAIL',
          note: 'STATUS does not report nfc, which the terminal announced',
          evidence: { after: 'not reported' },
        });
      },
    },
    {
      title: 'fails key zeroization (exit 8) when KEYS after ZEROIZE is empty',
      rules: () => [after('ZEROIZE', 'KEYS', (p) => patched(p.frame, { slots: [] }))],
      exit: 8,
      error: /KEYS after ZEROIZE does not report slots 1, 2, 3, 4, 5 of the inventory/,
      check: (run) => {
        const keys = step(run, 'key-zeroization');
        expect(keys.result).toBe('FAIL');
        expect(keys.evidence.kcvAfter).toEqual([]);
        expect(step(run, 'finalize').result).not.toBe('PASS');
      },
    },
    {
      title: 'fails key zeroization (exit 8) when KEYS after ZEROIZE reports fewer slots, all of them empty',
      rules: () => [
        after('ZEROIZE', 'KEYS', (p) =>
          patched(p.frame, {
            slots: (p.frame.header.slots as { slot: number }[]).filter((s) => s.slot !== 3),
          }),
        ),
      ],
      exit: 8,
      error: /KEYS after ZEROIZE does not report slots 3 of the inventory/,
    },
    {
      title: 'stops before its first change (exit 6) when KEYS lists fewer slots than HELLO announced',
      rules: () => [
        reply('KEYS', (p) =>
          patched(p.frame, { slots: (p.frame.header.slots as { slot: number }[]).slice(0, 2) }),
        ),
      ],
      exit: 6,
      error: /HELLO announced 5 key slots, but KEYS lists 2/,
      check: (_run, proxy) => expect(proxy.sim.stats().executed.CHANNEL ?? 0).toBe(0),
    },
    {
      title:
        'records network-down FAIL again, and changes nothing more (exit 6), when a later STATUS shows the link up after it was confirmed down',
      rules: () => [
        after('ZEROIZE', 'STATUS', (p) =>
          patched(p.frame, { links: { ...(p.frame.header.links as object), ethernet: 'up' } }),
        ),
      ],
      exit: 6,
      error: /contradict each other: ethernet is up again after UNBIND/,
      check: (run, proxy) => {
        const network = step(run, 'network-down');
        expect(network.result).toBe('FAIL');
        expect(network.note).toBe('ethernet is up again after UNBIND, after the step confirmed it');
        expect(proxy.sim.stats().executed.FINALIZE ?? 0).toBe(0);
      },
    },
    {
      title:
        'stops as an anomaly (exit 6) when the terminal names another firmware after unbinding than before',
      rules: () => [after('UNBIND', 'IDENTIFY', (p) => patched(p.frame, { firmware: 'C420-OS 9.9.9' }))],
      exit: 6,
      error: /after unbinding, the terminal reports firmware C420-OS 9\.9\.9, not C420-OS/,
    },
    {
      title:
        'stops before settling (exit 6) when STATUS shows the SAF queue empty though the inventory saw payments in it and nothing forwarded them',
      rules: () => [after('CHANNEL', 'STATUS', (p) => patched(p.frame, { saf: { count: 0, totals: [] } }))],
      exit: 6,
      error: /store-and-forward queue could not be forwarded/,
      check: (run, proxy) => {
        expect(proxy.sim.stats().executed.FORWARD ?? 0).toBe(0);
        expect(proxy.sim.stats().executed.SETTLE ?? 0).toBe(0);
        expect(proxy.sim.truth().safQueued).toBeGreaterThan(0);
        const forward = step(run, 'forward-saf');
        expect(forward.result).toBe('FAIL');
        expect(forward.note).toMatch(
          /STATUS showed \d+ payments in the SAF queue at the inventory, and none now, though no FORWARD was sent/,
        );
      },
    },
    {
      title:
        'records forward-saf FAIL again, and changes nothing more (exit 6), when a later STATUS shows payments waiting after the queue was forwarded',
      rules: () => [
        after('ZEROIZE', 'STATUS', (p) =>
          patched(p.frame, { saf: { count: 2, totals: [{ currency: 'EUR', minor: 1999 }] } }),
        ),
      ],
      exit: 6,
      error: /contradict each other: 2 payments wait in the SAF queue again after UNBIND/,
      check: (run, proxy) => {
        expect(step(run, 'forward-saf').result).toBe('FAIL');
        expect(proxy.sim.stats().executed.FINALIZE ?? 0).toBe(0);
      },
    },
    {
      title:
        'stops before anything is erased (exit 6) when SETTLE reports other totals than the batch STATUS showed',
      rules: () => [reply('SETTLE', (p) => patched(p.frame, { count: Number(p.frame.header.count) - 1 }))],
      exit: 6,
      error: /the open batch could not be settled/,
      check: (run, proxy) => {
        expect(Object.values(proxy.eraseCounts())).toEqual([0, 0, 0, 0, 0, 0]);
        expect(step(run, 'settle').note).toMatch(
          /SETTLE reports \d+ transactions, but STATUS showed \d+ in the batch/,
        );
      },
    },
  ]);
});

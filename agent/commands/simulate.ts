import { defineCommand } from '../command.js';
import type { SimulateArgs } from '../run/simulate.js';

export const simulateCommand = defineCommand<SimulateArgs>({
  command: 'simulate',
  describe: 'Run a simulated terminal on a pseudo-terminal (or a real serial port) until interrupted',
  builder: (y) =>
    y
      .option('model', {
        type: 'string',
        default: 'countertop',
        choices: ['countertop', 'mobile', 'unattended', 'zvt'],
        describe: 'Terminal model (zvt: a ZVT payment terminal)',
      })
      .option('seed', { type: 'number', default: 1, describe: 'Seed for identity, stores and keys' })
      .option('link', {
        type: 'string',
        describe: 'Create a pseudo-terminal and a symlink to it at PATH (needs socat)',
      })
      .option('device', {
        type: 'string',
        describe: 'Serve on this real serial port instead (null-modem rigs)',
      })
      .option('listen', {
        type: 'string',
        describe: 'zvt: serve native ZVT over TCP on HOST:PORT (e.g. 127.0.0.1:20007)',
      })
      .option('state', {
        type: 'string',
        describe: 'Persist the terminal state in FILE; a restart continues from it',
      })
      .option('faults', {
        type: 'string',
        describe:
          'Fault injection, e.g. disconnect-after=120,bit-error=1e-5,erase-lie=saf (zvt: preauth,drop=readfile:3,...)',
      })
      .option('baud', {
        type: 'number',
        describe: 'Line speed for --device, and for pacing [default: 115200; zvt: 9600]',
      })
      .option('paced', {
        type: 'boolean',
        default: false,
        describe: 'Pace output at the line speed (10 bit-times a byte; zvt: 11, 8N2)',
      })
      .option('turnaround', {
        type: 'number',
        default: 0,
        describe: 'Milliseconds between a request and its answer',
      })
      .option('scale', {
        type: 'number',
        describe: 'Store (zvt: file) sizes multiplied by this, e.g. 0.05 for quick rehearsals',
      })
      .option('unsettled', {
        type: 'boolean',
        default: false,
        describe: 'The settlement host is unreachable',
      })
      .option('noncompliant', {
        type: 'boolean',
        default: false,
        describe:
          'Keep clear PANs and track data in batch, saf and journal (zvt: in its journals); tests the PCI scan',
      })
      .option('proto', {
        type: 'string',
        choices: ['1.0', '1.1'],
        describe: 'Speak at most this protocol version (1.0 has no SAF queue)',
      })
      .option('work-order-out', {
        type: 'string',
        describe: 'Write a ready-to-use work order for this terminal to FILE',
      })
      .conflicts('link', 'device')
      .conflicts('listen', ['link', 'device'])
      .check((a) => {
        if (!a.link && !a.device && !a.listen)
          throw new Error('simulate needs --link PATH, --device PATH or (zvt) --listen HOST:PORT');
        if (a.listen && a.model !== 'zvt')
          throw new Error('--listen serves native ZVT over TCP: use --model zvt');
        if (a.proto && a.model === 'zvt')
          throw new Error("--proto is our line protocol's version: not for --model zvt");
        return true;
      }) as never,
  run: async (args) => (await import('../run/simulate.js')).runSimulate(args),
});

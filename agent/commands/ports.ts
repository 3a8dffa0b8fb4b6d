import { defineCommand } from '../command.js';

interface PortsArgs {
  json: boolean;
}

export const portsCommand = defineCommand<PortsArgs>({
  command: 'ports',
  describe: 'List serial ports, with likely payment terminals marked',
  builder: (y) =>
    y.option('json', { type: 'boolean', default: false, describe: 'One JSON document on stdout' }),
  run: async (args) => (await import('../run/ports.js')).runPorts(args),
});

import { listPorts } from '../../protocol/transport/port-list.js';
import { ExitCode } from '../exit-codes.js';
import { describeError } from '../errors-text.js';

export async function runPorts(args: { json: boolean }): Promise<number> {
  let ports;
  try {
    ports = await listPorts();
  } catch (err) {
    process.stderr.write(`posdecom: ${describeError(err)}\n`);
    return ExitCode.Transport;
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ ports }) + '\n');
    return ExitCode.Success;
  }
  if (ports.length === 0) {
    process.stdout.write('No serial ports found.\n');
    return ExitCode.Success;
  }
  for (const p of ports) {
    const ids = p.vendorId ? ` [${p.vendorId}:${p.productId ?? '????'}]` : '';
    const mark = p.likelyTerminal ? '  <- likely payment terminal' : '';
    process.stdout.write(`${p.path}  ${p.manufacturer ?? 'unknown manufacturer'}${ids}${mark}\n`);
  }
  return ExitCode.Success;
}

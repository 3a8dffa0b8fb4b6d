import { LineProtocolDriver } from '../../protocol/line/driver.js';
import { openLink } from '../../protocol/transport/open-link.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { portSettingsFrom, sessionOptionsFrom, type PortArgs } from '../options.js';
import { PROCESS_IO, type CommandIo } from '../command.js';
import { Transcript } from '../transcript/transcript.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

export interface IdentifyArgs extends PortArgs {
  port: string;
  json: boolean;
  record?: string;
}

/** `io` lets `posdecom replay` run this command without writing to the process's own streams. */
export async function runIdentify(args: IdentifyArgs, io: CommandIo = PROCESS_IO): Promise<number> {
  const settings = portSettingsFrom(args);
  const session = sessionOptionsFrom(args);
  const transcript = args.record
    ? new Transcript(args.record, { command: 'identify', port: args.port, settings, session })
    : undefined;
  let driver: LineProtocolDriver | undefined;
  try {
    const link = await openLink(args.port, settings);
    driver = await LineProtocolDriver.connect(
      link,
      { agent: `${TOOL_NAME}/${TOOL_VERSION}`, ...session },
      (s) => transcript?.attach(s),
    );
    transcript?.setStep('identify');
    const identity = await driver.identify();
    transcript?.noteIdentity({ ...identity });
    const status = await driver.status();
    const caps = driver.capabilities;
    if (args.json) {
      io.stdout.write(
        JSON.stringify({ identity, status, capabilities: caps, protocol: driver.protocol }) + '\n',
      );
    } else {
      const on = (r: Record<string, string>, v: string) =>
        Object.entries(r)
          .filter(([, s]) => s === v)
          .map(([k]) => k);
      const b = status.batch;
      io.stdout.write(
        [
          `${identity.vendor} ${identity.model}  serial ${identity.serial}  firmware ${identity.firmware}`,
          `binding:    TID ${identity.tid ?? 'none'}  MID ${identity.mid ?? 'none'}  acquirer ${identity.acquirer ?? 'none'}  (${status.bound ? 'bound' : 'unbound'})`,
          `acceptance: on: ${on(status.channels, 'on').join(', ') || 'none'}; off: ${on(status.channels, 'off').join(', ') || 'none'}`,
          `network:    up: ${on(status.links, 'up').join(', ') || 'none'}; down: ${on(status.links, 'down').join(', ') || 'none'}`,
          `batch:      ${b.open ? `open, ${b.count} transactions, ${b.totals.map((t) => `${(t.minor / 100).toFixed(2)} ${t.currency}`).join(', ')}` : 'none open'}`,
          `device:     state ${status.state}, tamper ${status.tamper ? 'TRIGGERED' : 'ok'}${status.battery ? `, battery ${status.battery.percent}%${status.battery.charging ? ' (charging)' : ''}` : ''}`,
          `protocol:   ${driver.protocol}, erase methods ${caps.erase.join(', ')}`,
          '',
        ].join('\n'),
      );
    }
    return ExitCode.Success;
  } catch (err) {
    io.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await driver?.close().catch(() => undefined);
    transcript?.close();
  }
}

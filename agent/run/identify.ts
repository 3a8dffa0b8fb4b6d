import type { TerminalDriver } from '../../protocol/driver.js';
import type { Identity, Status } from '../../protocol/domain.js';
import { openLink } from '../../protocol/transport/open-link.js';
import { ZVT_PROTOCOL } from '../../protocol/zvt/index.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { portSettingsFrom, sessionOptionsFrom, type PortArgs } from '../options.js';
import { PROCESS_IO, type CommandIo } from '../command.js';
import { resolveProtocol } from '../protocol-choice.js';
import { Transcript } from '../transcript/transcript.js';
import { connectDriver } from '../workflow/open-driver.js';

export interface IdentifyArgs extends PortArgs {
  port: string;
  json: boolean;
  record?: string;
}

/**
 * `posdecom identify`: who the terminal is, changing nothing. Over ZVT only the Status Enquiry
 * (no password) is sent: turnover totals need the terminal's password, which only a work order
 * carries, so the status is not read. `io` lets `posdecom replay` run this command without
 * writing to the process's own streams.
 */
export async function runIdentify(args: IdentifyArgs, io: CommandIo = PROCESS_IO): Promise<number> {
  let driver: TerminalDriver | undefined;
  let transcript: Transcript | undefined;
  try {
    const protocol = resolveProtocol(args.protocol, args.port);
    const settings = portSettingsFrom(args, protocol);
    const session = sessionOptionsFrom(args);
    transcript = args.record
      ? new Transcript(args.record, {
          command: 'identify',
          port: args.port,
          settings,
          session,
          ...(protocol === 'zvt' ? { protocol: ZVT_PROTOCOL } : {}),
        })
      : undefined;
    const link = await openLink(args.port, settings);
    driver = await connectDriver(link, {
      port: args.port,
      protocol,
      session,
      ...(transcript ? { transcript } : {}),
    });
    transcript?.setStep('identify');
    const identity = await driver.identify();
    transcript?.noteIdentity({ ...identity });
    const status = protocol === 'zvt' ? null : await driver.status();
    const caps = driver.capabilities;
    if (args.json) {
      io.stdout.write(
        JSON.stringify({ identity, status, capabilities: caps, protocol: driver.protocol }) + '\n',
      );
    } else io.stdout.write(identityText(identity, status, driver));
    return ExitCode.Success;
  } catch (err) {
    io.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await driver?.close().catch(() => undefined);
    transcript?.close();
  }
}

function identityText(identity: Identity, status: Status | null, driver: TerminalDriver): string {
  const caps = driver.capabilities;
  if (!status) {
    return [
      `${identity.model}  serial ${identity.serial}  software ${identity.firmware}  (maker not reported)`,
      `binding:    TID ${identity.tid ?? 'none'}`,
      `status:     not read (turnover totals need the terminal's password, which a work order carries)`,
      `protocol:   ${driver.protocol}`,
      '',
    ].join('\n');
  }
  const on = (r: Record<string, string>, v: string) =>
    Object.entries(r)
      .filter(([, s]) => s === v)
      .map(([k]) => k);
  const b = status.batch;
  return [
    `${identity.vendor} ${identity.model}  serial ${identity.serial}  firmware ${identity.firmware}`,
    `binding:    TID ${identity.tid ?? 'none'}  MID ${identity.mid ?? 'none'}  acquirer ${identity.acquirer ?? 'none'}  (${status.bound ? 'bound' : 'unbound'})`,
    `acceptance: on: ${on(status.channels, 'on').join(', ') || 'none'}; off: ${on(status.channels, 'off').join(', ') || 'none'}`,
    `network:    up: ${on(status.links, 'up').join(', ') || 'none'}; down: ${on(status.links, 'down').join(', ') || 'none'}`,
    `batch:      ${b.open ? `open, ${b.count} transactions, ${b.totals.map((t) => `${(t.minor / 100).toFixed(2)} ${t.currency}`).join(', ')}` : 'none open'}`,
    `device:     state ${status.state}, tamper ${status.tamper ? 'TRIGGERED' : 'ok'}${status.battery ? `, battery ${status.battery.percent}%${status.battery.charging ? ' (charging)' : ''}` : ''}`,
    `protocol:   ${driver.protocol}, erase methods ${caps.erase.join(', ')}`,
    '',
  ].join('\n');
}

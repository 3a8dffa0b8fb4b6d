import type { TerminalDriver } from '../../protocol/driver.js';
import { LineProtocolDriver } from '../../protocol/line/driver.js';
import type { SessionOptions } from '../../protocol/line/session/session.js';
import type { Link } from '../../protocol/transport/link.js';
import { parsePortSpec } from '../../protocol/transport/port-spec.js';
import { ZvtDriver, type DEFAULT_SEQUENCE_TIMERS, type SerialTimers } from '../../protocol/zvt/index.js';
import type { ProtocolName } from '../protocol-choice.js';
import type { Transcript } from '../transcript/transcript.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/**
 * The driver for an open link, by protocol: our line protocol (HELLO first) or ZVT (no
 * handshake; `zvt+tcp://` carries raw APDUs, every other port ZVT's serial framing). Either way
 * the transcript, when there is one, sees every frame or APDU of the link.
 */
export interface ZvtTuning {
  /** Sequence timers and bounds (T3, T4, floods); tests shorten them. */
  timers?: Partial<typeof DEFAULT_SEQUENCE_TIMERS>;
  /** Serial link timers (T1, T2, repeats). */
  serial?: Partial<SerialTimers>;
}

export interface DriverChoice {
  port: string;
  protocol: ProtocolName;
  session?: Partial<SessionOptions>;
  zvt?: ZvtTuning;
  transcript?: Transcript;
}

export async function connectDriver(link: Link, o: DriverChoice): Promise<TerminalDriver> {
  if (o.protocol === 'zvt') {
    const recorded = o.transcript?.apduLink();
    return ZvtDriver.connect(link, {
      framing: parsePortSpec(o.port).kind === 'zvt-tcp' ? 'tcp' : 'serial',
      ...(o.zvt?.timers ? { timers: o.zvt.timers } : {}),
      ...(o.zvt?.serial ? { serial: o.zvt.serial } : {}),
      ...(recorded ? { tap: recorded.tap, onClose: recorded.closed } : {}),
    });
  }
  return LineProtocolDriver.connect(
    link,
    { agent: `${TOOL_NAME}/${TOOL_VERSION}`, ...o.session },
    (session) => o.transcript?.attach(session),
  );
}

import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { parsePortSpec } from '../protocol/transport/port-spec.js';

/**
 * Which terminal protocol a job speaks (`--protocol line|zvt`, README: Commands). The flag is
 * the technician's; where it is not given, a port that can only be ZVT (`zvt+tcp://`, `sim:zvt`)
 * says so, and anything else is our line protocol. A flag that contradicts its port is refused
 * before anything is opened.
 */
export const PROTOCOLS = ['line', 'zvt'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

export function resolveProtocol(flag: string | undefined, port: string): ProtocolName {
  const spec = parsePortSpec(port);
  const zvtOnly = spec.kind === 'zvt-tcp' || (spec.kind === 'sim' && spec.model === 'zvt');
  if (flag === undefined) return zvtOnly ? 'zvt' : 'line';
  if (flag !== 'line' && flag !== 'zvt') {
    throw new PosdecomError(ErrorCode.UsageInvalid, `--protocol ${flag}: expected line or zvt`);
  }
  if (flag === 'line' && zvtOnly) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--protocol line cannot reach ${port}: it speaks ZVT (use --protocol zvt)`,
    );
  }
  if (flag === 'zvt' && spec.kind === 'sim' && spec.model !== 'zvt' && spec.model !== 'replay') {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `--protocol zvt cannot reach ${port}: that simulated terminal speaks the line protocol (use sim:zvt)`,
    );
  }
  return flag;
}

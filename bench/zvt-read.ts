import { performance } from 'node:perf_hooks';
import { openLink } from '../protocol/transport/open-link.js';
import { ZVT_SERIAL_DEFAULTS, lineByteRate } from '../protocol/transport/port-spec.js';
import { forgetSimulatedTerminals, registerSimulatedTerminal } from '../protocol/transport/sim-registry.js';
import { ZvtDriver } from '../protocol/zvt/index.js';
import { SimulatedZvtTerminal } from '../protocol/zvt/terminal/index.js';

/**
 * `zvt_read_goodput_ratio`: one Read File of a 64 KiB incompressible file through the agent's own
 * read path (ZvtDriver.readStore -> client -> sequence engine -> serial link -> SerialPortStream
 * over the sim binding, as `--port sim:zvt` opens it), from the simulated ZVT terminal paced at
 * 9600 baud 8N2 (11 bit-times a byte: 872.7 B/s) with a 20 ms turnaround before each APDU it
 * sends. File bytes / seconds / 872.7 is the ratio; wire bytes / seconds / 872.7 must stay <= 1.
 */
export interface ZvtReadResult {
  bytes: number;
  seconds: number;
  bytesPerSecond: number;
  ratio: number;
  lineRate: number;
  wireBytesIn: number;
  blocks: number;
  repeats: number;
}

export const ZVT_BAUD = 9600;
export const ZVT_TURNAROUND_MS = 20;
const FILE_BYTES = 64 * 1024;
const EVENT_LOG = 4;

export async function zvtReadGoodput(): Promise<ZvtReadResult> {
  const terminal = await SimulatedZvtTerminal.create({
    seed: 1,
    baud: ZVT_BAUD,
    bitsPerByte: 11,
    turnaroundMs: ZVT_TURNAROUND_MS,
    files: { [EVENT_LOG]: { size: FILE_BYTES, kind: 'binary' } },
  });
  const port = 'sim:zvt?bench=read';
  registerSimulatedTerminal(port, terminal);
  const settings = { ...ZVT_SERIAL_DEFAULTS, baudRate: ZVT_BAUD };
  const link = await openLink(port, settings);
  let wireBytesIn = 0;
  link.onData((b) => (wireBytesIn += b.length));
  const driver = ZvtDriver.connect(link, { framing: 'serial' });
  try {
    let bytes = 0;
    let blocks = 0;
    const started = performance.now();
    const reached = await driver.readStore('event-log', 0, FILE_BYTES, async (_offset, data) => {
      bytes += data.length;
      blocks++;
    });
    const seconds = (performance.now() - started) / 1000;
    if (reached !== FILE_BYTES || bytes !== FILE_BYTES)
      throw new Error(`read ${bytes} of ${FILE_BYTES} bytes`);
    const lineRate = lineByteRate(settings);
    return {
      bytes,
      seconds,
      bytesPerSecond: bytes / seconds,
      ratio: bytes / seconds / lineRate,
      lineRate,
      wireBytesIn,
      blocks,
      repeats: driver.client.link.counters.repeats,
    };
  } finally {
    await driver.close();
    await terminal.close();
    forgetSimulatedTerminals();
  }
}

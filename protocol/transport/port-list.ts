import { ErrorCode, PosdecomError } from '../errors.js';

export interface PortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  likelyTerminal: boolean;
}

/**
 * USB vendor ids of payment terminal makers and of the USB-serial bridges their service
 * cables use. A match is a hint for the technician, never a decision.
 */
const TERMINAL_VENDORS = new Map<string, string>([
  ['0b00', 'Ingenico'],
  ['11ca', 'Verifone'],
  ['079b', 'Sagem/Ingenico'],
  ['1753', 'PAX'],
  ['2fb8', 'Castles'],
]);
const TERMINAL_WORDS = /ingenico|verifone|pax|castles|newland|spire|worldline|payment|terminal|pinpad/i;

export async function listPorts(): Promise<PortEntry[]> {
  const { SerialPort } = await import('serialport');
  let raw: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    raw = await SerialPort.list();
  } catch (err) {
    // On Linux, listing shells out to udevadm; containers and minimal systems lack it.
    throw new PosdecomError(
      ErrorCode.TransportListUnavailable,
      `port listing is unavailable here (${(err as Error).message}); name the port directly with --port, e.g. /dev/ttyUSB0`,
    );
  }
  return raw.map((p) => {
    const vendorId = p.vendorId?.toLowerCase();
    const entry: PortEntry = {
      path: p.path,
      likelyTerminal:
        (vendorId !== undefined && TERMINAL_VENDORS.has(vendorId)) ||
        TERMINAL_WORDS.test(`${p.manufacturer ?? ''} ${p.pnpId ?? ''}`),
    };
    if (p.manufacturer) entry.manufacturer = p.manufacturer;
    if (p.serialNumber) entry.serialNumber = p.serialNumber;
    if (vendorId) entry.vendorId = vendorId;
    if (p.productId) entry.productId = p.productId.toLowerCase();
    return entry;
  });
}

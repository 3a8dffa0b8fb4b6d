import type { BatchStatus, Identity, Money, StoreKind } from '../../domain.js';
import { ErrorCode, PosdecomError } from '../../errors.js';
import { FILE_IDS } from '../codec/commands.js';
import type { StatusEnquiryInfo, Totals } from '../ecr/results.js';

/**
 * ZVT's answers in the domain's words (protocol/domain.ts). What ZVT does not report is said
 * so, never made up: no MID, no acquirer, no vendor (Status Enquiry names the device, 1F40, but
 * not its maker), no decommissioned state, no record counts and no store digests.
 */
export const ZVT_PROTOCOL = 'zvt/PA00P015';
export const VENDOR_NOT_REPORTED = 'unknown';

/** The files the driver reads and deletes, by this project's file-ids (FILE_IDS), as stores. */
export interface ZvtFile {
  id: number;
  name: string;
  kind: StoreKind;
  /** Journals and the reconciliation list card transactions; the binary event log is not known not to. */
  cardData: boolean;
}

export const ZVT_FILES: readonly ZvtFile[] = [
  { id: FILE_IDS.merchantJournal, name: 'merchant-journal', kind: 'journal', cardData: true },
  { id: FILE_IDS.customerJournal, name: 'customer-journal', kind: 'journal', cardData: true },
  { id: FILE_IDS.reconciliation, name: 'reconciliation', kind: 'settlements', cardData: true },
  { id: FILE_IDS.eventLog, name: 'event-log', kind: 'logs', cardData: true },
  { id: FILE_IDS.configuration, name: 'configuration', kind: 'config', cardData: false },
];

/** The one store a terminal without file access (84 83 to Read File) shows: its files, unreadable. */
export const NO_FILE_ACCESS_STORE = 'files';

export function fileByName(name: string): ZvtFile | undefined {
  return ZVT_FILES.find((f) => f.name === name);
}

function hostile(message: string): PosdecomError {
  return new PosdecomError(ErrorCode.SessionHostile, message);
}

/** A Status Enquiry that leaves out what identifies the terminal is not believed (FAIL, stop). */
export function identityFrom(info: StatusEnquiryInfo): Identity {
  const missing: string[] = [];
  if (info.swVersion === undefined) missing.push('software version');
  if (info.terminalStatus === undefined) missing.push('status byte');
  if (info.serial === undefined) missing.push('serial number (1F42)');
  if (info.deviceName === undefined) missing.push('device name (1F40)');
  if (missing.length > 0) {
    throw hostile(`ZVT Status Enquiry left out the ${missing.join(', ')}; stopping`);
  }
  return {
    vendor: VENDOR_NOT_REPORTED,
    model: info.deviceName!,
    serial: info.serial!,
    firmware: info.swVersion!,
    tid: info.tid ?? null,
    mid: null,
    acquirer: null,
    state: 'active',
    // ZVT has no "simulated" field; our simulator names itself so (terminal/device.ts).
    ...(info.deviceName!.startsWith(SIMULATOR_NAME) ? { simulated: true as const } : {}),
  };
}

/** The device name (1F40) posdecom's simulated ZVT terminal gives. */
export const SIMULATOR_NAME = 'posdecom SIM-ZVT';

const CURRENCIES: Record<number, string> = {
  978: 'EUR',
  756: 'CHF',
  826: 'GBP',
  840: 'USD',
  985: 'PLN',
  203: 'CZK',
  208: 'DKK',
  752: 'SEK',
  348: 'HUF',
};

export function currencyName(code: number | undefined): string {
  if (code === undefined) return 'unknown';
  return CURRENCIES[code] ?? String(code).padStart(3, '0');
}

/** Turnover totals as a batch: count from the single totals (BMP 60), amount from BMP 04. */
export function batchFrom(what: string, totals: Totals | undefined): BatchStatus {
  if (!totals || totals.amount === undefined || !totals.singleTotals) {
    throw hostile(`ZVT ${what} answered without its totals (BMP 04 and 60); stopping`);
  }
  const count = totals.singleTotals.groups.reduce((n, g) => n + g.count, 0);
  const money: Money[] = [{ currency: currencyName(totals.currency), minor: totals.amount }];
  return { open: count > 0 || totals.amount !== 0, count, totals: money };
}

export function describeBatch(b: BatchStatus): string {
  const t = b.totals.map((m) => `${(m.minor / 100).toFixed(2)} ${m.currency}`).join(', ');
  return `${b.count} transaction(s), ${t || 'no totals'}`;
}

export function sameBatch(a: BatchStatus, b: BatchStatus): boolean {
  return a.count === b.count && JSON.stringify(a.totals) === JSON.stringify(b.totals);
}

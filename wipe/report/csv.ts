import type { Estate } from './estate.js';
import type { EstateRow } from './row.js';

/**
 * The inventory update (PCI DSS 9.5.1.1) as CSV: RFC 4180 (CRLF line ends, a field quoted when
 * it holds a comma, quote, CR or LF, quotes doubled), UTF-8, one header row naming every
 * column, one row per terminal in the order of the report.
 *
 * A cell that a spreadsheet would run as a formula (it starts with = + - @, a tab or a CR;
 * OWASP "CSV injection") gets a leading apostrophe: certificate fields come from work orders
 * and terminals, and a merchant called "=HYPERLINK(...)" must stay text.
 */

export const CSV_COLUMNS: readonly (readonly [string, (r: EstateRow) => string | null])[] = [
  ['vendor', (r) => r.vendor],
  ['model', (r) => r.model],
  ['serial', (r) => r.serial],
  ['TID', (r) => r.tid],
  ['merchant', (r) => r.merchant],
  ['location', (r) => r.location],
  ['work order id', (r) => r.workOrderId],
  ['reason', (r) => r.reason],
  ['destination', (r) => r.destination],
  ['decommissioned at', (r) => r.decommissionedAt],
  ['technician', (r) => r.technician],
  ['validator', (r) => r.validator],
  ['outcome', (r) => r.validationOutcome],
  ['overall', (r) => r.overall ?? r.status],
  ['certificate id', (r) => r.certificateId],
  ['certificate SHA-256', (r) => r.certificateSha256],
  ['job directory', (r) => r.dir],
  // Beyond the inventory fields: why a row needs chasing, so the file stands on its own.
  ['problem', (r) => r.problem],
  ['duplicate serial', (r) => (r.duplicateOf.length > 0 ? 'yes' : '')],
  ['simulated', (r) => (r.simulated ? 'yes' : '')],
];

export function renderCsv(estate: Estate): string {
  const lines = [CSV_COLUMNS.map(([name]) => field(name))];
  for (const row of estate.rows) lines.push(CSV_COLUMNS.map(([, value]) => field(defuse(value(row) ?? ''))));
  return lines.map((cells) => cells.join(',')).join('\r\n') + '\r\n';
}

function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function defuse(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

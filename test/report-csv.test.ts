import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_STATUS } from '../bench/estate.js';
import { ExitCode } from '../agent/exit-codes.js';
import { runCli } from './helpers/cli.js';
import { makeEstate, type TestEstate } from './helpers/estate.js';

/**
 * `report --csv`: the inventory update. Read back with a CSV library (csv-parse), every row
 * must carry exactly what the signed certificate says, whatever quotes, commas, accents or
 * would-be formulas its merchant and location hold.
 */

const HEADER = [
  'vendor',
  'model',
  'serial',
  'TID',
  'merchant',
  'location',
  'work order id',
  'reason',
  'destination',
  'decommissioned at',
  'technician',
  'validator',
  'outcome',
  'overall',
  'certificate id',
  'certificate SHA-256',
  'job directory',
  'problem',
  'duplicate serial',
  'simulated',
];

let estate: TestEstate;
let csv: string;
let exitCode: number | null;

beforeAll(async () => {
  estate = await makeEstate('report-csv');
  const out = join(estate.dir, 'inventory.csv');
  const r = await runCli(['report', estate.root, '--ca', estate.pki.caCertPath, '--csv', out]);
  exitCode = r.code;
  csv = await readFile(out, 'utf8');
});
afterAll(async () => estate.remove());

describe('posdecom report --csv', () => {
  it('names every column in its header and ends every record with CRLF (RFC 4180)', () => {
    expect(exitCode).toBe(ExitCode.VerifyFailed);
    const records = parse(csv, { relax_column_count: false }) as string[][];
    expect(records[0]).toEqual(HEADER);
    expect(records).toHaveLength(estate.jobs.length + 1);
    expect(csv.endsWith('\r\n')).toBe(true);
    // Line breaks only as record ends: no bare LF anywhere.
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('reads back, row for row, as the values of each signed certificate', () => {
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    for (const job of estate.jobs) {
      const row = rows.find((r) => r['job directory'] === job.dir);
      expect(row, job.dir).toBeDefined();
      const status = KIND_STATUS[job.kind];
      expect(row!.overall).toBe(
        status === 'NOT VERIFIABLE' ? 'NOT VERIFIABLE' : job.certificate!.overall.result,
      );
      if (job.kind === 'foreign') {
        expect(row!.serial).toBe('');
        continue;
      }
      const c = job.certificate!;
      if (job.kind === 'tampered') {
        // The row shows the file as it is on disk (a changed location), flagged as not verifiable.
        expect(row!.serial).toBe(c.device.serial);
        expect(row!.location).not.toBe(c.device.location);
        continue;
      }
      const formula = (text: string) => (/^[=+\-@]/.test(text) ? `'${text}` : text);
      expect(row).toMatchObject({
        vendor: c.device.vendor,
        model: c.device.model,
        serial: c.device.serial,
        TID: c.device.tidBefore,
        merchant: formula(c.workOrder.owner),
        location: c.device.location,
        'work order id': c.workOrder.id,
        reason: c.workOrder.reason,
        destination: c.destination.kind,
        'decommissioned at': c.issuedAt,
        technician: c.performedBy.name,
        validator: '',
        outcome: '',
        'certificate id': c.certificateId,
      });
      expect(row!['certificate SHA-256']).toMatch(/^[0-9a-f]{64}$/);
      expect(row!.problem === '').toBe(status === 'PASS');
      expect(row!.simulated).toBe(job.kind === 'rehearsal' ? 'yes' : '');
    }
  });

  it('keeps quotes, commas and accents intact and a would-be formula as text', () => {
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    const merchants = new Set(rows.map((r) => r.merchant));
    expect(merchants).toContain('Bäckerei "Zum Korn", Filiale 3');
    expect(merchants).toContain("'=1+2 Kiosk <b>");
    expect(rows.some((r) => r.location?.includes(', till '))).toBe(true);
    expect(rows.filter((r) => r['duplicate serial'] === 'yes')).toHaveLength(2);
  });
});

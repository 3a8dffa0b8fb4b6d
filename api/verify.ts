import { readFile, stat } from 'node:fs/promises';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { verifyCertificate as verifyBytes } from '../wipe/verify/verify.js';
import { readError } from '../wipe/report/discover.js';
import { ExitCode } from '../agent/exit-codes.js';
import { defaultSignaturePath } from '../agent/run/verify.js';
import { failingAs } from './failure.js';

/**
 * `posdecom verify` from code (README: posdecom verify): the same options and the same checks.
 * Rejects with a PosdecomFailure (exit code 2) when an input cannot be read; otherwise resolves
 * with every check by name, whatever their outcome.
 */
export interface VerifyOptions {
  /** certificate.json */
  certificate: string;
  /** --sig: the detached signature (default: beside the JSON, .p7s). */
  sig?: string;
  /** --ca: the organisation CA certificate (PEM) to trust. */
  ca: string;
  /** --backup: also check the encrypted backup in this directory (or its backup/). */
  backup?: string;
}

export interface VerifyResult {
  /** Every check holds. */
  ok: boolean;
  /** The CLI's exit code: 0 or 10. */
  exitCode: number;
  checks: { name: string; ok: boolean; detail: string }[];
  /** What the certificate says, when it reads as one (whether or not it verifies). */
  certificate: {
    id: string;
    device: { vendor: string; model: string; serial: string };
    overall: { result: string; reasons: string[] };
  } | null;
}

export async function verifyCertificate(o: VerifyOptions): Promise<VerifyResult> {
  return failingAs(async () => {
    const json = await input(o.certificate, 'certificate');
    const p7s = await input(o.sig ?? defaultSignaturePath(o.certificate), 'signature');
    const ca = await input(o.ca, 'CA certificate');
    if (o.backup !== undefined && !(await stat(o.backup).catch(() => undefined))?.isDirectory()) {
      throw new PosdecomError(ErrorCode.UsageBadFile, `backup ${o.backup} is not a directory`);
    }
    const report = await verifyBytes(json, p7s, ca.toString('utf8'), {
      ...(o.backup !== undefined ? { backupDir: o.backup } : {}),
    });
    const c = report.certificate;
    return {
      ok: report.ok,
      exitCode: report.ok ? ExitCode.Success : ExitCode.VerifyFailed,
      checks: report.checks.map(({ name, ok, detail }) => ({ name, ok, detail })),
      certificate: c
        ? {
            id: c.certificateId,
            device: { vendor: c.device.vendor, model: c.device.model, serial: c.device.serial },
            overall: { result: c.overall.result, reasons: [...c.overall.reasons] },
          }
        : null,
    };
  });
}

async function input(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read the ${what} ${path}: ${readError(err)}`);
  }
}

import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../protocol/errors.js';
import { isSimulated, SIMULATED_BAND } from '../../wipe/certificate/simulated.js';
import { verifyCertificate, type VerificationReport } from '../../wipe/verify/verify.js';
import { describeError } from '../errors-text.js';
import { ExitCode } from '../exit-codes.js';

export interface VerifyArgs {
  certificate: string;
  sig?: string;
  ca: string;
  crl?: string;
  backup?: string;
  json: boolean;
}

export interface VerifyIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
}

/**
 * `posdecom verify`: exit 0 only when every check holds, 10 when any fails, 2 when the inputs
 * themselves are missing or unreadable (nothing was verified, so "failed" would mislead).
 */
export async function runVerify(args: VerifyArgs, io: VerifyIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const sigPath = args.sig ?? defaultSignaturePath(args.certificate);
  let report: VerificationReport;
  try {
    // One after the other: when several inputs are missing, the error always names the first.
    const json = await readInput(args.certificate, 'certificate');
    const p7s = await readInput(sigPath, 'signature');
    const caPem = await readInput(args.ca, 'CA certificate');
    const crl = args.crl !== undefined ? await readInput(args.crl, 'CRL') : undefined;
    if (args.backup !== undefined) await requireDirectory(args.backup);
    report = await verifyCertificate(json, p7s, caPem.toString('utf8'), {
      jobDir: dirname(args.certificate),
      ...(crl !== undefined ? { crl } : {}),
      ...(args.backup !== undefined ? { backupDir: args.backup } : {}),
    });
  } catch (e) {
    if (!isPosdecomError(e) || (e.code !== ErrorCode.UsageBadFile && e.code !== ErrorCode.UsageInvalid))
      throw e;
    err.write(`posdecom: ${describeError(e)}\n`);
    return ExitCode.Usage;
  }

  if (args.json) {
    const c = report.certificate;
    const summary = c
      ? {
          certificateId: c.certificateId,
          device: { vendor: c.device.vendor, model: c.device.model, serial: c.device.serial },
          overall: c.overall,
          simulated: isSimulated(c),
          validation: report.validation ?? null,
        }
      : null;
    out.write(
      `${JSON.stringify({ ok: report.ok, certificate: args.certificate, signature: sigPath, checks: report.checks, summary })}\n`,
    );
  } else {
    if (isSimulated(report.certificate)) out.write(`${SIMULATED_BAND}\n`);
    for (const c of report.checks) out.write(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}\n`);
    const failed = report.checks.filter((c) => !c.ok).length;
    const v = report.validation;
    const validated = v?.ok
      ? `${v.outcome === 'accepted' ? 'validated' : 'NOT ACCEPTED'} by ${v.validator} at ${v.validatedAt}`
      : 'not validated';
    const overall = report.certificate
      ? ` (overall result ${report.certificate.overall.result}; ${validated})`
      : '';
    out.write(report.ok ? `VERIFIED${overall}\n` : `NOT VERIFIED: ${failed} check(s) failed\n`);
  }
  return report.ok ? ExitCode.Success : ExitCode.VerifyFailed;
}

/** certificate.json -> certificate.p7s, beside it. */
export function defaultSignaturePath(certificate: string): string {
  return certificate.toLowerCase().endsWith('.json')
    ? `${certificate.slice(0, -5)}.p7s`
    : `${certificate}.p7s`;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new PosdecomError(ErrorCode.UsageBadFile, `cannot read the ${what} ${path}: ${why}`, { path });
  }
}

async function requireDirectory(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isDirectory())
    throw new PosdecomError(ErrorCode.UsageBadFile, `--backup ${path} is not a directory`, { path });
}

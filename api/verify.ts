import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { verifyCertificate as verifyBytes } from '../wipe/verify/verify.js';
import { readError } from '../wipe/report/discover.js';
import { ExitCode } from '../agent/exit-codes.js';
import { defaultSignaturePath } from '../agent/run/verify.js';
import { failingAs } from './failure.js';

/**
 * `posdecom verify` from code (README: posdecom verify): the same options and the same checks
 * (signature, path and policy, signing time, rules, the files the certificate binds and a second
 * person's validation beside it, revocation with `crl`, the backup with `backup`). Rejects with a
 * PosdecomFailure (exit code 2) when an input cannot be read or the CA or CRL cannot be used;
 * otherwise resolves with every check by name, whatever their outcome.
 */
export interface VerifyOptions {
  /** certificate.json */
  certificate: string;
  /** --sig: the detached signature (default: beside the JSON, .p7s). */
  sig?: string;
  /** --ca: the organisation CA certificate (PEM) to trust. */
  ca: string;
  /** --crl: the CA's CRL (PEM or DER, from `posdecom ca crl`); a revoked signer fails `revocation`. */
  crl?: string;
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
  /** The CMS signing time (ISO 8601), when the signature could be read. */
  signingTime: string | null;
  /** validation.json beside the certificate (`posdecom validate`); `ok` when it verifies. */
  validation: {
    ok: boolean;
    validator: string | null;
    /** 'accepted' or 'not-accepted': the validator's statement, reported, not judged. */
    outcome: string | null;
    validatedAt: string | null;
    note: string | null;
  } | null;
}

export async function verifyCertificate(o: VerifyOptions): Promise<VerifyResult> {
  return failingAs(async () => {
    const json = await input(o.certificate, 'certificate');
    const p7s = await input(o.sig ?? defaultSignaturePath(o.certificate), 'signature');
    const ca = await input(o.ca, 'CA certificate');
    const crl = o.crl !== undefined ? await input(o.crl, 'CRL') : undefined;
    if (o.backup !== undefined && !(await stat(o.backup).catch(() => undefined))?.isDirectory()) {
      throw new PosdecomError(ErrorCode.UsageBadFile, `backup ${o.backup} is not a directory`);
    }
    const report = await verifyBytes(json, p7s, ca.toString('utf8'), {
      jobDir: dirname(o.certificate),
      ...(crl !== undefined ? { crl } : {}),
      ...(o.backup !== undefined ? { backupDir: o.backup } : {}),
    });
    const c = report.certificate;
    const v = report.validation;
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
      signingTime: report.signingTime ?? null,
      validation: v
        ? {
            ok: v.ok,
            validator: v.validator ?? null,
            outcome: v.outcome ?? null,
            validatedAt: v.validatedAt ?? null,
            note: v.note ?? null,
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

import type { AnyWipeCertificate as WipeCertificate } from '../certificate/schema.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { schemaErrors } from '../certificate/schema.js';
import { subjectLine } from '../pki/common.js';
import { checkBackup } from './backup.js';
import { checkBoundFiles } from './bound-files.js';
import { canonicalCheck } from './canonical.js';
import { fail, pass, type Check } from './check.js';
import { internalRuleViolations } from './rules.js';
import { SIGNATURE_CHECKS, verifySigned, type SignedFindings } from './signed.js';
import { checkSigningTime } from './signing-time.js';
import { checkValidation } from '../validation/check.js';
import type { ValidationSummary } from '../validation/record.js';
import { loadTrust, type Trust } from './trust.js';

/**
 * Verifies a wipe certificate: the detached CMS signature over the exact JSON bytes, the
 * signer's path to a CA the caller trusts and our policy on it (signed.ts), the signing time
 * against the document, and the document itself (schema, canonical form, results that follow
 * from its steps); optionally the CRL, the files the certificate binds, and the backup it names.
 * Every check is always reported, by name, so a reader sees everything that is wrong.
 */

export type { Check } from './check.js';
export type { Trust } from './trust.js';
export { loadTrust } from './trust.js';

export const CHECK_NAMES = [
  ...SIGNATURE_CHECKS,
  'signing-time',
  'signer-identity',
  'schema',
  'canonical-form',
  'internal-rules',
] as const;

/** Reported after CHECK_NAMES, each only when asked for (a CRL, a job directory, a backup). */
export const OPTIONAL_CHECK_NAMES = ['revocation', 'bound-files', 'validation', 'backup'] as const;

export interface VerificationReport {
  ok: boolean;
  checks: Check[];
  /** Present when the JSON matches the schema (whether or not the signature holds). */
  certificate?: WipeCertificate;
  /** The CMS signingTime, ISO 8601, when readable. */
  signingTime?: string;
  /** The second person's validation, when validation.json or .p7s lies in the job directory. */
  validation?: ValidationSummary;
  /** SHA-256 (hex) of certificate.json as read; verifyJob reports it (the estate's inventory column). */
  certificateSha256?: string;
}

export interface VerifyOptions {
  /** The CA's CRL (PEM or DER); only with a CA given as PEM (a Trust carries its own). */
  crl?: string | Uint8Array;
  /** The directory certificate.json came from: the files it binds, and any validation, are checked there. */
  jobDir?: string;
  /** The backup directory (or the job output directory holding backup/) to check as well. */
  backupDir?: string;
  /** The verifier's clock; tests move it. */
  now?: Date;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const trustCache = new Map<string, Promise<Trust>>();

/** A CA as PEM is read (and remembered) here; a bad CA or CRL throws a usage PosdecomError. */
export async function verifyCertificate(
  jsonBytes: Uint8Array,
  p7sDer: Uint8Array,
  ca: string | Trust,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  if (typeof ca !== 'string' && options.crl !== undefined)
    throw new PosdecomError(ErrorCode.UsageInvalid, 'a Trust carries its own CRL: give it to loadTrust');
  const trust = typeof ca === 'string' ? await cachedTrust(ca, options) : ca;
  const now = options.now ?? new Date();
  const signed = await verifySigned(jsonBytes, p7sDer, trust);
  const checks = [...signed.checks];
  const { certificate, jsonGap } = documentChecks(jsonBytes, signed, now, checks);
  const gap = (name: string) =>
    (SIGNATURE_CHECKS as readonly string[]).includes(name) || name === 'revocation'
      ? signed.gap
      : (jsonGap ?? signed.gap);
  const wanted: string[] = [...CHECK_NAMES];
  if (trust.crl) wanted.push('revocation');
  let validation: ValidationSummary | undefined;
  if (options.jobDir !== undefined) {
    const found = await jobDirChecks(options.jobDir, jsonBytes, certificate, signed, trust, now);
    wanted.push(...found.checks.map((c) => c.name));
    checks.push(...found.checks);
    validation = found.validation;
  }
  if (options.backupDir !== undefined) {
    wanted.push('backup');
    checks.push(
      certificate
        ? await checkBackup(certificate, options.backupDir)
        : fail('backup', 'not checked: the certificate JSON is not valid'),
    );
  }
  // A check that could not run is reported as failed, with what stopped it.
  const ordered = wanted.map(
    (name) => checks.find((c) => c.name === name) ?? fail(name, `not checked: ${gap(name)}`),
  );
  return {
    ok: ordered.every((c) => c.ok),
    checks: ordered,
    ...(certificate ? { certificate } : {}),
    ...(signed.signingTime ? { signingTime: signed.signingTime.toISOString() } : {}),
    ...(validation ? { validation } : {}),
  };
}

/** What lies beside certificate.json: the files it binds, and a second person's validation. */
async function jobDirChecks(
  dir: string,
  jsonBytes: Uint8Array,
  certificate: WipeCertificate | undefined,
  signed: SignedFindings,
  trust: Trust,
  now: Date,
): Promise<{ checks: Check[]; validation?: ValidationSummary }> {
  const checks = [
    certificate
      ? await checkBoundFiles(certificate, dir)
      : fail('bound-files', 'not checked: the certificate JSON is not valid'),
  ];
  const side = {
    bytes: jsonBytes,
    ...(signed.signer ? { signer: signed.signer } : {}),
    ...(certificate
      ? { signerSubject: certificate.performedBy.signerSubject, certificateId: certificate.certificateId }
      : {}),
  };
  const found = await checkValidation(dir, side, trust, now);
  if (!found) return { checks };
  return { checks: [...checks, found.check], validation: found.summary };
}

function documentChecks(jsonBytes: Uint8Array, signed: SignedFindings, now: Date, checks: Check[]) {
  let value: unknown;
  let jsonGap: string | undefined;
  try {
    value = JSON.parse(UTF8.decode(jsonBytes));
  } catch (err) {
    jsonGap = `not UTF-8 JSON: ${(err as Error).message}`;
  }
  let certificate: WipeCertificate | undefined;
  if (jsonGap === undefined) {
    const errors = schemaErrors(value);
    if (errors.length === 0) certificate = value as WipeCertificate;
    else jsonGap = 'the JSON does not match the schema';
    checks.push(
      errors.length === 0
        ? pass('schema', 'matches certificate.schema.json')
        : fail('schema', errors.slice(0, 3).join('; ')),
    );
    checks.push(canonicalCheck(jsonBytes, value));
  }
  if (certificate) {
    checks.push(rulesCheck(certificate));
    if (signed.signer) {
      checks.push(checkSigningTime(certificate, signed.signingTime, now));
      const actual = subjectLine(signed.signer.x509);
      checks.push(
        actual === certificate.performedBy.signerSubject
          ? pass('signer-identity', `performedBy matches the signer (${actual})`)
          : fail(
              'signer-identity',
              `performedBy names "${certificate.performedBy.signerSubject}" but "${actual}" signed`,
            ),
      );
    }
  }
  return { certificate, jsonGap };
}

function rulesCheck(certificate: WipeCertificate): Check {
  let problems: string[];
  try {
    problems = internalRuleViolations(certificate);
  } catch (err) {
    // e.g. a lone surrogate from a "\ud800" escape, which canonical JSON refuses
    problems = [`cannot evaluate the rules: ${(err as Error).message}`];
  }
  return problems.length === 0
    ? pass(
        'internal-rules',
        `overall ${certificate.overall.result} follows from ${certificate.steps.length} steps`,
      )
    : fail('internal-rules', problems.join('; '));
}

function cachedTrust(caPem: string, o: VerifyOptions): Promise<Trust> {
  const crlKey = o.crl === undefined ? '' : Buffer.from(o.crl).toString('base64');
  const key = `${caPem}\n${crlKey}\n${o.now?.getTime() ?? ''}`;
  let t = trustCache.get(key);
  if (!t) {
    t = loadTrust(caPem, {
      ...(o.crl !== undefined ? { crl: o.crl } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    t.catch(() => trustCache.delete(key));
    if (trustCache.size >= 16) trustCache.clear();
    trustCache.set(key, t);
  }
  return t;
}

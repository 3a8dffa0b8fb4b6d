import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { subjectLine } from '../pki/common.js';
import { canonicalCheck } from '../verify/canonical.js';
import { fail, pass, type Check } from '../verify/check.js';
import { sameSigner, type CertFacts } from '../verify/certs.js';
import { verifySigned } from '../verify/signed.js';
import { readBounded } from '../verify/read-bounded.js';
import { checkSigningTime } from '../verify/signing-time.js';
import type { Trust } from '../verify/trust.js';
import { VALIDATION_FILES, recordProblems, type ValidationRecord, type ValidationSummary } from './record.js';

/**
 * Judges validation.json + validation.p7s beside a certificate: the validator's signature holds
 * by the same rules as the certificate's (signed.ts, same CA and CRL), the record is canonical
 * and well formed, it names this certificate by its exact digest, and the validator is not the
 * person who signed the certificate. The outcome itself (accepted or not) is reported, not judged.
 */

export interface CertificateSide {
  bytes: Uint8Array;
  /** The certificate's CMS signer, when its signature could be read. */
  signer?: CertFacts;
  /** performedBy.signerSubject, when the certificate's JSON could be read. */
  signerSubject?: string;
  certificateId?: string;
}

/** validation.json is about a kilobyte; its signature a few. */
const MAX_VALIDATION_BYTES = 1024 * 1024;

/** undefined when there is no validation beside the certificate. */
export async function checkValidation(
  dir: string,
  cert: CertificateSide,
  trust: Trust,
  now: Date,
): Promise<{ check: Check; summary: ValidationSummary } | undefined> {
  const jsonRead = await readBounded(join(dir, VALIDATION_FILES.json), MAX_VALIDATION_BYTES);
  const p7sRead = await readBounded(join(dir, VALIDATION_FILES.signature), MAX_VALIDATION_BYTES);
  if ('missing' in jsonRead && 'missing' in p7sRead) return undefined;
  const no = (why: string) => ({ check: fail('validation', why), summary: { ok: false } });
  // A validation that is there but cannot be read (or is huge) is a failed one, not an absent one.
  for (const r of [jsonRead, p7sRead]) if ('problem' in r) return no(r.problem);
  const json = 'bytes' in jsonRead ? jsonRead.bytes : undefined;
  const p7s = 'bytes' in p7sRead ? p7sRead.bytes : undefined;
  if (!json) return no(`${VALIDATION_FILES.signature} is there but ${VALIDATION_FILES.json} is not`);
  if (!p7s)
    return no(`${VALIDATION_FILES.json} is there but not signed (${VALIDATION_FILES.signature} is missing)`);

  let record: ValidationRecord;
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
    const problems = recordProblems(value);
    const canonical = canonicalCheck(json, value);
    if (!canonical.ok) problems.push(canonical.detail);
    if (problems.length > 0) return no(`${VALIDATION_FILES.json}: ${problems.join('; ')}`);
    record = value as ValidationRecord;
  } catch {
    return no(`${VALIDATION_FILES.json} is not UTF-8 JSON`);
  }
  const summary: ValidationSummary = {
    ok: false,
    validator: record.validator.name,
    outcome: record.outcome,
    validatedAt: record.validatedAt,
    note: record.note,
  };
  const problems = await problemsWith(record, json, p7s, cert, trust, now);
  if (problems.length > 0) return { check: fail('validation', problems.join('; ')), summary };
  const who = [record.validator.name, record.validator.title, record.validator.organisation]
    .filter(Boolean)
    .join(', ');
  const outcome = record.outcome === 'accepted' ? 'ACCEPTED' : 'NOT ACCEPTED';
  return {
    check: pass(
      'validation',
      `${outcome} by ${who} at ${record.validatedAt}: ${JSON.stringify(record.note)}`,
    ),
    summary: { ...summary, ok: true },
  };
}

async function problemsWith(
  record: ValidationRecord,
  json: Uint8Array,
  p7s: Uint8Array,
  cert: CertificateSide,
  trust: Trust,
  now: Date,
): Promise<string[]> {
  const problems: string[] = [];
  const digest = createHash('sha256').update(cert.bytes).digest('hex');
  if (record.certificateSha256 !== digest)
    problems.push(
      'it is bound to other certificate bytes (certificateSha256 differs): another certificate, or this one changed',
    );
  if (cert.certificateId !== undefined && record.certificateId !== cert.certificateId)
    problems.push(`it names certificate ${record.certificateId}, not ${cert.certificateId}`);
  const signed = await verifySigned(json, p7s, trust);
  const broken = signed.checks.filter((c) => !c.ok);
  if (broken.length > 0 || !signed.signer) {
    const why = broken.map((c) => `${c.name}: ${c.detail}`).join('; ') || signed.gap;
    problems.push(`its signature does not hold (${why})`);
    return problems;
  }
  const validator = signed.signer;
  if (subjectLine(validator.x509) !== record.validator.signerSubject)
    problems.push(`it names ${record.validator.signerSubject} but ${subjectLine(validator.x509)} signed it`);
  if (
    (cert.signer && sameSigner(validator, cert.signer)) ||
    cert.signerSubject === subjectLine(validator.x509)
  )
    problems.push(
      `it was signed by the certificate's own signer (${subjectLine(validator.x509)}), not by a second person`,
    );
  const time = checkSigningTime({ issuedAt: record.validatedAt, steps: [] }, signed.signingTime, now);
  if (!time.ok) problems.push(`its ${time.detail}`);
  return problems;
}

import { X509Certificate } from 'node:crypto';
import { subjectLine } from '../pki/common.js';

/**
 * The validation of a wipe certificate by a second person (NIST SP 800-88 rev.2 s.4.5: a
 * sanitization whose results are not confirmed is "not accepted"). validation.json holds this
 * record as canonical JSON, validation.p7s the validator's detached CMS signature over its exact
 * bytes; both lie beside certificate.json, bound to it by the certificate's SHA-256.
 */

export const VALIDATION_FORMAT = 'posdecom-validation/1' as const;
export const VALIDATION_FILES = { json: 'validation.json', signature: 'validation.p7s' } as const;
export const OUTCOMES = ['accepted', 'not-accepted'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** A note is a sentence or a paragraph, not a document. */
export const MAX_NOTE_CHARS = 2000;

export interface Validator {
  name: string;
  title?: string;
  organisation?: string;
  /** Email from the certificate's subjectAltName. */
  contact?: string;
  /** The signing certificate's subject, as the verifier renders it. */
  signerSubject: string;
}

export interface ValidationRecord {
  format: typeof VALIDATION_FORMAT;
  certificateId: string;
  /** SHA-256 (hex) of certificate.json's exact bytes. */
  certificateSha256: string;
  outcome: Outcome;
  note: string;
  validator: Validator;
  /** UTC ISO 8601. */
  validatedAt: string;
  tool: { name: string; version: string };
}

/** What a reader (verify, the estate report) is told about a validation. */
export interface ValidationSummary {
  ok: boolean;
  validator?: string;
  outcome?: Outcome;
  validatedAt?: string;
  note?: string;
}

/** The validator as their certificate names them: CN, title, O, and the email in subjectAltName. */
export function validatorFromCertificate(certPem: string): Validator {
  const x509 = new X509Certificate(certPem);
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(x509.subject)?.[1];
  const email = /(?:^|, )email:([^,\s]+)/.exec(x509.subjectAltName ?? '')?.[1];
  const signerSubject = subjectLine(x509);
  const v: Validator = { name: field('CN') ?? signerSubject, signerSubject };
  const title = field('title');
  const organisation = field('O');
  if (title) v.title = title;
  if (organisation) v.organisation = organisation;
  if (email) v.contact = email;
  return v;
}

export function isOutcome(s: unknown): s is Outcome {
  return typeof s === 'string' && (OUTCOMES as readonly string[]).includes(s);
}

/** The record's shape, field by field; problems as short phrases. */
export function recordProblems(v: unknown): string[] {
  const r = v as Partial<Record<keyof ValidationRecord, unknown>> | null;
  if (!r || typeof r !== 'object' || Array.isArray(r)) return ['not a JSON object'];
  const problems: string[] = [];
  const str = (k: keyof ValidationRecord) => typeof r[k] === 'string' && (r[k] as string).length > 0;
  if (r.format !== VALIDATION_FORMAT) problems.push(`format is not ${VALIDATION_FORMAT}`);
  if (!str('certificateId')) problems.push('no certificateId');
  if (typeof r.certificateSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.certificateSha256))
    problems.push('no certificateSha256');
  if (!isOutcome(r.outcome)) problems.push('outcome is neither accepted nor not-accepted');
  if (typeof r.note !== 'string' || r.note.length > MAX_NOTE_CHARS) problems.push('no usable note');
  if (!str('validatedAt') || Number.isNaN(Date.parse(r.validatedAt as string)))
    problems.push('no validatedAt');
  const who = r.validator as Partial<Validator> | undefined;
  if (typeof who?.name !== 'string' || typeof who.signerSubject !== 'string') problems.push('no validator');
  const allowed = new Set([
    'format',
    'certificateId',
    'certificateSha256',
    'outcome',
    'note',
    'validator',
    'validatedAt',
    'tool',
  ]);
  for (const k of Object.keys(r)) if (!allowed.has(k)) problems.push(`unknown field ${k}`);
  return problems;
}

import { X509Certificate, randomUUID } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { canonicalize } from './canonical-json.js';
import {
  SCHEMA_VERSION,
  type CertificateInput,
  type StepRecord,
  type Technician,
  type WipeCertificate,
} from './model.js';
import { applyAttestations } from './attestations.js';
import { deriveBlocks, type CertificateCore } from './derive.js';
import { effectiveResult } from './results.js';
import { assertSchema } from './schema.js';
import { subjectLine } from '../pki/common.js';

/**
 * Builds the certificate document from what the workflow measured. The results it states
 * (overall, sanitization, PCI status) are computed here by the rules in certificate/rules.ts,
 * never taken from the caller, and the verifier recomputes them from the signed steps.
 */

export function buildCertificate(input: CertificateInput): WipeCertificate {
  // One trip through canonical JSON: refuses what JSON cannot carry faithfully (NaN, Dates,
  // Buffers) and leaves the certificate sharing no objects with the caller.
  const { issuedAt, certificateId, ...rest } = input;
  const data = JSON.parse(canonicalize(rest)) as Omit<CertificateInput, 'issuedAt' | 'certificateId'>;
  const core: CertificateCore = {
    schemaVersion: SCHEMA_VERSION,
    certificateId: certificateId ?? randomUUID(),
    issuedAt: (issuedAt ?? new Date()).toISOString(),
    tool: data.tool,
    performedBy: data.technician,
    device: data.device,
    workOrder: data.workOrder,
    destination: data.destination,
    steps: applyAttestations(data.steps.map(honestStep), data.attestations ?? []),
    backup: data.backup,
    boundFiles: data.boundFiles,
  };
  const { dataBackedUp, ...derived } = deriveBlocks(core, data.postSanitizationClassification);
  const certificate: WipeCertificate = { ...core, ...derived, backup: { ...core.backup, dataBackedUp } };
  assertSchema(certificate);
  return certificate;
}

/**
 * A PASS (or WARN) with no evidence, and an ATTESTED with no statement, are recorded as UNKNOWN
 * (with the reason in the note) instead of refusing the whole certificate: by the time a
 * certificate is built the terminal is already erased, and an honest certificate with an
 * UNKNOWN is worth more than none.
 */
function honestStep(s: StepRecord): StepRecord {
  if (effectiveResult(s) !== 'UNKNOWN' || s.result === 'UNKNOWN') return s;
  const why =
    s.result === 'ATTESTED'
      ? 'recorded as ATTESTED without a statement'
      : `recorded as ${s.result} without evidence`;
  const { attestation: _dropped, ...rest } = s;
  return { ...rest, result: 'UNKNOWN', note: s.note ? `${s.note}; ${why}` : why };
}

/**
 * The performing person, taken from the signing certificate so the certificate names exactly
 * the identity that signs it (the verifier compares signerSubject with the CMS signer).
 */
export function technicianFromCertificate(
  certPem: string,
  extra: { title?: string; phone?: string; location?: string } = {},
): Technician {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch {
    throw new PosdecomError(ErrorCode.KeyUnusable, 'the signing certificate cannot be parsed');
  }
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(x509.subject)?.[1];
  const email = /(?:^|, )email:([^,\s]+)/.exec(x509.subjectAltName ?? '')?.[1];
  const name = field('CN');
  if (!name) throw new PosdecomError(ErrorCode.KeyUnusable, 'the signing certificate has no common name');
  const technician: Technician = {
    name,
    organisation: field('O') ?? 'unknown',
    contact: email ?? 'unknown',
    signerSubject: subjectLine(x509),
  };
  if (extra.title !== undefined) technician.title = extra.title;
  if (extra.phone !== undefined) technician.phone = extra.phone;
  if (extra.location !== undefined) technician.location = extra.location;
  return technician;
}

import type { AnyWipeCertificate } from '../certificate/schema.js';
import { isSimulated } from '../certificate/simulated.js';
import type { JobRef } from './discover.js';
import type { JobVerification } from './verify-job.js';

/**
 * One terminal of the estate: what its certificate says (only when the certificate reads as a
 * certificate at all) and what the estate view makes of it. The status is the estate's word:
 *
 *   NOT VERIFIABLE  a check failed or a file is missing: nothing in it can be relied on
 *   PASS            verified, and the certificate's overall result is PASS
 *   FAIL            verified, overall FAIL
 *   INCOMPLETE      verified, anything else: INCOMPLETE (certificate version 2), UNKNOWN or WARN
 *                   (version 1), or a value this version does not know; never counted as PASS
 *
 * A second person's validation (wipe/validation) that verifies fills the validator and outcome.
 * One whose outcome is `not-accepted` makes the row FAIL whatever the certificate says: NIST SP
 * 800-88 rev.2 s.4.5 calls a sanitization whose results are not confirmed "not accepted", and a
 * terminal to chase belongs with the failures, not in a bucket of its own that an inventory
 * import could overlook. `overall` keeps the certificate's own word, so both are visible. A
 * validation that does not verify fails the job's checks: NOT VERIFIABLE, as in `verify`.
 *
 * Device and work-order fields of a NOT VERIFIABLE row come from a JSON that did not verify:
 * they help find the terminal, and the status says how far to trust them.
 */

export const STATUSES = ['PASS', 'INCOMPLETE', 'FAIL', 'NOT VERIFIABLE'] as const;
export type EstateStatus = (typeof STATUSES)[number];

export interface EstateRow {
  dir: string;
  status: EstateStatus;
  /** The certificate's own overall result, as written; null when it does not verify. */
  overall: string | null;
  /** Why the row is not PASS, in one line: the step, or the check that failed; null for PASS. */
  problem: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  tid: string | null;
  merchant: string | null;
  location: string | null;
  workOrderId: string | null;
  reason: string | null;
  destination: string | null;
  decommissionedAt: string | null;
  technician: string | null;
  validator: string | null;
  validationOutcome: string | null;
  certificateId: string | null;
  certificateSha256: string | null;
  /** certificate.pdf is in the job directory. */
  hasPdf: boolean;
  /** The certificate says it records the built-in simulated terminal: a rehearsal, not a device. */
  simulated: boolean;
  /** Other job directories whose certificate names the same serial (a terminal done twice). */
  duplicateOf: string[];
}

export function rowFrom(job: JobRef, v: JobVerification): EstateRow {
  const c = v.certificate;
  const overall = v.ok && c ? c.overall.result : null;
  const validation = v.ok && v.validation?.ok ? v.validation : undefined;
  const status: EstateStatus =
    overall === null
      ? 'NOT VERIFIABLE'
      : overall === 'FAIL' || validation?.outcome === 'not-accepted'
        ? 'FAIL'
        : overall === 'PASS'
          ? 'PASS'
          : 'INCOMPLETE';
  return {
    dir: job.dir,
    status,
    overall,
    problem: status === 'PASS' ? null : problemLine(v),
    vendor: c?.device.vendor ?? null,
    model: c?.device.model ?? null,
    serial: c?.device.serial ?? null,
    tid: c?.device.tidBefore ?? null,
    merchant: c?.workOrder.owner ?? null,
    location: c?.device.location ?? null,
    workOrderId: c?.workOrder.id ?? null,
    reason: c?.workOrder.reason ?? null,
    destination: c ? destinationOf(c) : null,
    decommissionedAt: c?.issuedAt ?? null,
    technician: c?.performedBy.name ?? null,
    validator: validation?.validator ?? null,
    validationOutcome: validation?.outcome ?? null,
    certificateId: c?.certificateId ?? null,
    certificateSha256: v.certificateSha256 ?? null,
    hasPdf: job.hasPdf,
    simulated: isSimulated(c),
    duplicateOf: [],
  };
}

/** Version 2 names the destination in a block of its own; version 1 in the work order. */
function destinationOf(c: AnyWipeCertificate): string {
  return 'destination' in c ? c.destination.kind : c.workOrder.destination;
}

/** A row for a job that could not be looked at at all (the verifier itself failed on it). */
export function brokenRow(job: JobRef, why: string): EstateRow {
  return rowFrom(job, { ok: false, checks: [{ name: 'files', ok: false, detail: why }] });
}

/**
 * The reason in one line. A verified certificate names its first non-PASS step (its own
 * overall reasons); one that does not verify names every failed check and the detail of the
 * first that actually ran ("not checked: ..." only says what stopped a later one).
 */
function problemLine(v: JobVerification): string {
  if (v.ok && v.certificate) {
    const reasons = v.certificate.overall.reasons;
    const first = reasons[0] ?? `overall ${v.certificate.overall.result}`;
    const own = reasons.length > 1 ? `${first} (+${reasons.length - 1} more)` : first;
    const val = v.validation;
    if (val?.ok && val.outcome === 'not-accepted') {
      const notAccepted = `validation: NOT ACCEPTED by ${val.validator ?? '?'} at ${val.validatedAt ?? '?'}: ${JSON.stringify(val.note ?? '')}`;
      return v.certificate.overall.result === 'PASS' ? notAccepted : `${own}; ${notAccepted}`;
    }
    return own;
  }
  const failed = v.checks.filter((c) => !c.ok);
  const telling = failed.find((c) => !c.detail.startsWith('not checked')) ?? failed[0];
  if (!telling) return 'not verified';
  return `${failed.map((c) => c.name).join(', ')} failed: ${telling.detail}`;
}

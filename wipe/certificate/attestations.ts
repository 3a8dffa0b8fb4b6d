import { STEP_NAMES, type AttestationInput, type StepRecord } from './model.js';
import { stepLabel } from './results.js';

/**
 * The technician's word, put where it belongs (`decommission --attest`). An attestation only
 * ever stands in for a measurement that is not there:
 *
 *   the step is UNKNOWN            -> ATTESTED, with the statement, time and evidence digests
 *   the step has no record at all  -> a new ATTESTED record (nothing was measured either)
 *   the step was measured (PASS, WARN, FAIL) -> the measurement stands; the attestation is
 *                                     kept beside it and noted
 *
 * Two attestations for the same step and target: the later one counts. ATTESTED is never a
 * PASS, so a job that needed the technician's word is INCOMPLETE at best.
 */
export function applyAttestations(steps: StepRecord[], attestations: AttestationInput[]): StepRecord[] {
  const latest = new Map<string, AttestationInput>();
  for (const a of attestations) latest.set(keyOf(a), a);
  const out = steps.map((s) => {
    const a = latest.get(keyOf(s));
    if (!a) return s;
    latest.delete(keyOf(s));
    return attest(s, a);
  });
  for (const a of latest.values()) {
    out.push({
      step: a.step,
      ...(a.target === undefined ? {} : { target: a.target }),
      startedAt: a.time,
      endedAt: a.time,
      result: 'ATTESTED',
      evidence: {},
      note: 'the tool recorded no measurement for this step; attested by the technician',
      attestation: statementOf(a),
    });
  }
  // Stable: records of one step stay in the order they ran.
  return out
    .map((s, i) => ({ s, i }))
    .sort((x, y) => STEP_NAMES.indexOf(x.s.step) - STEP_NAMES.indexOf(y.s.step) || x.i - y.i)
    .map(({ s }) => s);
}

function attest(s: StepRecord, a: AttestationInput): StepRecord {
  const attestation = statementOf(a);
  if (s.result === 'UNKNOWN') {
    return {
      ...s,
      result: 'ATTESTED',
      attestation,
      note: join(s.note, 'not measured by the tool; attested by the technician'),
    };
  }
  if (s.result === 'ATTESTED') return { ...s, attestation };
  return {
    ...s,
    attestation,
    note: join(s.note, `an attestation was also given; the measured ${s.result} stands`),
  };
}

function statementOf(a: AttestationInput): NonNullable<StepRecord['attestation']> {
  return {
    statement: a.statement,
    time: a.time,
    evidence: a.evidence.map((e) => ({ name: e.name, path: e.path, size: e.size, sha256: e.sha256 })),
  };
}

function keyOf(x: { step: string; target?: string }): string {
  return stepLabel(x);
}

function join(note: string | undefined, more: string): string {
  return note ? `${note}; ${more}` : more;
}

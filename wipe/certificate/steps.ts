/**
 * The step records a certificate is made of: which steps there are, which are mandatory, the
 * verdicts a step can have, and what a record carries.
 */

/** Protocol order; the certificate lists steps in the order the workflow ran them. */
export const STEP_NAMES = [
  'identify',
  'authorize',
  'inventory',
  'disable-acceptance',
  'forward-saf',
  'settle',
  'network-down',
  'backup',
  'erase',
  'erase-verification',
  'key-zeroization',
  'unbind',
  'finalize',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * PASS: measured and as required. WARN: a PASS with findings (for example a PCI finding in a
 * backup). FAIL: measured and not as required. UNKNOWN: not measured. ATTESTED: not measured
 * by the tool, done by hand and stated by the technician (`--attest`); never a PASS.
 */
export const RESULTS = ['PASS', 'WARN', 'FAIL', 'UNKNOWN', 'ATTESTED'] as const;
export type Result = (typeof RESULTS)[number];

/**
 * Steps that must be present and PASS for an overall PASS. The per-target ones need one record
 * per channel (disable-acceptance) or per store (erase, erase-verification) that the device has.
 */
export const MANDATORY_STEPS: readonly StepName[] = [
  'identify',
  'disable-acceptance',
  'forward-saf',
  'settle',
  'network-down',
  'backup',
  'erase',
  'erase-verification',
  'key-zeroization',
  'unbind',
  'finalize',
];
export const PER_CHANNEL_STEPS: readonly StepName[] = ['disable-acceptance'];
export const PER_STORE_STEPS: readonly StepName[] = ['erase', 'erase-verification'];

/** The technician's word for a step, as a step record carries it. */
export interface StepAttestation {
  statement: string;
  /** UTC ISO 8601: when the technician says they did it. */
  time: string;
  evidence: { name: string; path: string; size: number; sha256: string }[];
}

export interface StepRecord {
  step: StepName;
  /** Channel name for disable-acceptance, store name for backup / erase / erase-verification. */
  target?: string;
  /** UTC ISO 8601, e.g. 2025-01-31T10:15:00.000Z. */
  startedAt: string;
  endedAt: string;
  result: Result;
  /**
   * What was measured: status readings, settlement totals, digests, method and passes, sample
   * counts, key check values before/after. Never key material or secrets. Must be JSON data
   * (finite numbers, no undefined inside arrays, no Dates or Buffers). A PASS with empty
   * evidence is downgraded to UNKNOWN by buildCertificate and rejected by the verifier.
   * The keys of EraseEvidence / EraseVerificationEvidence are read by the rules.
   */
  evidence: Record<string, unknown>;
  note?: string;
  /** Required when the result is ATTESTED; beside a measured result it is a note. */
  attestation?: StepAttestation;
}

/** Evidence keys the sanitization summary reads from an `erase` step. */
export interface EraseEvidence extends Record<string, unknown> {
  /** Terminal erase method (SPEC s.6.11): 'crypto' | 'overwrite3' | 'overwrite1'. */
  method: string;
  passes: number;
  /**
   * Crypto erase only: the terminal reports the media encryption key destroyed. Absent means
   * not reported, and a crypto erase is then Clear at most.
   */
  keyDestroyed?: boolean;
}

/** Evidence keys the sanitization summary reads from an `erase-verification` step. */
export interface EraseVerificationEvidence extends Record<string, unknown> {
  /** NIST s.4.7: full read of the store, or pseudorandom sampling. */
  verification: 'full' | 'sampling';
  /** True when the agent read the store back itself (not the terminal's own VERIFY_ERASE). */
  readBack: boolean;
  samples?: number;
  bytesRead?: number;
}

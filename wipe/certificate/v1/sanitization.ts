import type { DeviceStore, Result, SanitizationSummary, StepRecord } from './model.js';
import { effectiveResult, worst } from './results.js';

/**
 * The NIST SP 800-88 "sanitization details" block, derived from the erase and
 * erase-verification steps (their EraseEvidence / EraseVerificationEvidence keys).
 *
 * Purge needs, for every store: an erase with a method that leaves nothing recoverable
 * (crypto erase, or overwrite, SPEC s.6.11) that PASSed, and a verification that PASSed on data
 * the agent read back itself. Anything less is reported as Clear: the terminal's own
 * VERIFY_ERASE is a claim, not a measurement (rev.1 s.4.7 wants the sanitization verified).
 */

const NIST_METHOD: Record<string, string> = {
  crypto: 'crypto erase',
  overwrite1: 'overwrite',
  overwrite3: 'overwrite',
};

interface StoreAssessment {
  name: string;
  method: string | null;
  passes: number | null;
  verification: 'full' | 'sampling' | null;
  readBack: boolean;
  result: Result;
  purge: boolean;
}

export function computeSanitization(
  stores: DeviceStore[],
  steps: StepRecord[],
  postSanitizationClassification?: string,
): SanitizationSummary {
  const assessed = stores.map((st) => assessStore(st.name, steps));
  const summary: SanitizationSummary = {
    methodType: assessed.length > 0 && assessed.every((a) => a.purge) ? 'Purge' : 'Clear',
    methodUsed: methodUsed(assessed),
    methodDetails: assessed.map(describeStore),
    verificationMethod: verificationMethod(assessed),
    result: assessed.length === 0 ? 'UNKNOWN' : worst(assessed.map((a) => a.result)),
  };
  if (postSanitizationClassification !== undefined) {
    summary.postSanitizationClassification = postSanitizationClassification;
  }
  return summary;
}

function assessStore(name: string, steps: StepRecord[]): StoreAssessment {
  const erases = steps.filter((s) => s.step === 'erase' && s.target === name);
  const checks = steps.filter((s) => s.step === 'erase-verification' && s.target === name);
  const results = [...erases, ...checks].map(effectiveResult);
  if (erases.length === 0 || checks.length === 0) results.push('UNKNOWN');
  const result = worst(results);

  const erase = erases.at(-1)?.evidence ?? {};
  const check = checks.at(-1)?.evidence ?? {};
  const method = typeof erase['method'] === 'string' ? erase['method'] : null;
  const passes = typeof erase['passes'] === 'number' ? erase['passes'] : null;
  const v = check['verification'];
  const verification = v === 'full' || v === 'sampling' ? v : null;
  const readBack = check['readBack'] === true;
  const purge =
    result === 'PASS' &&
    method !== null &&
    Object.hasOwn(NIST_METHOD, method) &&
    verification !== null &&
    readBack;
  return { name, method, passes, verification, readBack, result, purge };
}

function methodUsed(assessed: StoreAssessment[]): string {
  const used = new Set(assessed.map((a) => nistMethod(a.method)));
  return used.size === 0 ? 'none' : [...used].sort().join(', ');
}

function nistMethod(method: string | null): string {
  if (method === null) return 'none';
  return Object.hasOwn(NIST_METHOD, method) ? (NIST_METHOD[method] as string) : 'other';
}

function verificationMethod(assessed: StoreAssessment[]): string {
  const kinds = new Set(assessed.map((a) => a.verification));
  if (kinds.size === 0 || (kinds.size === 1 && kinds.has(null))) return 'none';
  if (kinds.has(null)) return 'other';
  return kinds.has('sampling') ? 'quick sampling' : 'full';
}

function describeStore(a: StoreAssessment): string {
  const passes = a.passes === null ? '' : `, ${a.passes} pass${a.passes === 1 ? '' : 'es'}`;
  const erased = a.method === null ? 'no erase recorded' : `${a.method}${passes}`;
  const verified =
    a.verification === null ? 'not verified' : `${a.verification}${a.readBack ? ' read-back' : ''}`;
  return `${a.name}: ${erased}; verification: ${verified}; ${a.result}`;
}

import type {
  DeviceStore,
  MethodType,
  Result,
  SanitizationSummary,
  StepRecord,
  StoreSanitization,
} from './model.js';
import { effectiveResult, isPassing, worst } from './results.js';

/**
 * The NIST SP 800-88 "sanitization details" block, per store and summed up, derived from the
 * erase and erase-verification steps (their EraseEvidence / EraseVerificationEvidence keys).
 * Each store gets the method type SP 800-88 defines for what was done to it, and the reason:
 *
 *   not sanitized (None)  the erase or its verification did not PASS, or the agent did not read
 *                         the store back itself (the terminal's own VERIFY_ERASE is a claim,
 *                         and rev.1 s.4.7 wants every sanitization verified)
 *   Clear                 a delete by the protocol's own command (ZVT Delete File), shown gone by
 *                         reading the file again; an overwrite: it goes through the terminal's ordinary write path, which
 *                         is Clear (rev.1 s.2.5; Table A: overwriting flash media is Clear, as
 *                         wear levelling keeps copies the write path cannot reach); a crypto
 *                         erase whose key destruction the terminal did not report; a method the
 *                         rules do not know, verified by read-back
 *   Purge                 a crypto erase, verified by read-back, with the media encryption key
 *                         reported destroyed (`keyDestroyed: true`; rev.1 s.2.6)
 *
 * The tool never claims Destroy: that is a physical act, after the job (see the destination).
 * The summary's method type is the weakest of the stores'.
 */

const NIST_METHOD: Record<string, string> = {
  crypto: 'crypto erase',
  overwrite1: 'overwrite',
  overwrite3: 'overwrite',
};
const STRENGTH: Record<MethodType, number> = { Destroy: 3, Purge: 2, Clear: 1, None: 0 };

export function computeSanitization(
  stores: DeviceStore[],
  steps: StepRecord[],
  postSanitizationClassification?: string,
): SanitizationSummary {
  const assessed = stores.map((st) => assessStore(st, steps));
  const weakest = assessed.reduce<MethodType | undefined>(
    (w, a) => (w === undefined || STRENGTH[a.methodType] < STRENGTH[w] ? a.methodType : w),
    undefined,
  );
  const summary: SanitizationSummary = {
    methodType: weakest ?? 'None',
    methodUsed: methodUsed(assessed),
    verificationMethod: verificationMethod(assessed),
    stores: assessed,
    result: assessed.length === 0 ? 'UNKNOWN' : worst(assessed.map((a) => a.result)),
  };
  if (postSanitizationClassification !== undefined) {
    summary.postSanitizationClassification = postSanitizationClassification;
  }
  return summary;
}

function assessStore(store: DeviceStore, steps: StepRecord[]): StoreSanitization {
  const erases = steps.filter((s) => s.step === 'erase' && s.target === store.name);
  const checks = steps.filter((s) => s.step === 'erase-verification' && s.target === store.name);
  const results: Result[] = [...erases, ...checks].map(effectiveResult);
  if (erases.length === 0 || checks.length === 0) results.push('UNKNOWN');
  const result = worst(results);

  const erase = erases.at(-1)?.evidence ?? {};
  const check = checks.at(-1)?.evidence ?? {};
  const method = typeof erase['method'] === 'string' ? erase['method'] : null;
  const passes = typeof erase['passes'] === 'number' ? erase['passes'] : null;
  const v = check['verification'];
  const verification: StoreSanitization['verification'] = v === 'full' || v === 'sampling' ? v : null;
  const readBack = check['readBack'] === true;
  const base = { store: store.name, media: store.media, method, passes, verification, readBack, result };
  const nistMethod =
    method === null ? 'none' : Object.hasOwn(NIST_METHOD, method) ? NIST_METHOD[method]! : 'other';
  return { ...base, nistMethod, ...methodType(base, erase['keyDestroyed'] === true) };
}

function methodType(
  a: Pick<StoreSanitization, 'media' | 'method' | 'verification' | 'readBack' | 'result'>,
  keyDestroyed: boolean,
): { methodType: MethodType; reason: string } {
  const none = (reason: string) => ({ methodType: 'None' as const, reason: `not sanitized: ${reason}` });
  if (a.method === null) return none('no erase was recorded');
  if (!isPassing(a.result)) return none(`the erase or its verification is ${a.result}`);
  if (a.verification === null || !a.readBack) return none('the agent did not read the store back itself');
  const media = a.media === 'UNKNOWN' ? 'media of unreported type' : `${a.media} media`;
  if (a.method === 'crypto') {
    return keyDestroyed
      ? {
          methodType: 'Purge',
          reason: `crypto erase with the media encryption key reported destroyed, verified by read-back (SP 800-88 rev.1 s.2.6)`,
        }
      : {
          methodType: 'Clear',
          reason: `crypto erase, but the terminal did not report the media encryption key destroyed: Clear at most (SP 800-88 rev.1 s.2.6)`,
        };
  }
  if (Object.hasOwn(NIST_METHOD, a.method)) {
    return {
      methodType: 'Clear',
      reason: `overwrite through the terminal's ordinary write path on ${media}, verified by read-back (SP 800-88 rev.1 s.2.5, Table A)`,
    };
  }
  if (a.method === 'delete') {
    return {
      methodType: 'Clear',
      reason: `deleted with the terminal's own command (ZVT Delete File) and read again to find it gone; nothing says how the ${media} under it was overwritten: Clear at most`,
    };
  }
  return {
    methodType: 'Clear',
    reason: `method ${a.method} is not one the rules know; the read-back shows the data gone through the ordinary read path`,
  };
}

function methodUsed(assessed: StoreSanitization[]): string {
  const used = new Set(assessed.map((a) => a.nistMethod));
  return used.size === 0 ? 'none' : [...used].sort().join(', ');
}

function verificationMethod(assessed: StoreSanitization[]): string {
  const kinds = new Set(assessed.map((a) => a.verification));
  if (kinds.size === 0 || (kinds.size === 1 && kinds.has(null))) return 'none';
  if (kinds.has(null)) return 'other';
  return kinds.has('sampling') ? 'quick sampling' : 'full';
}

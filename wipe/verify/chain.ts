import { fail, pass, type Check } from './check.js';
import { EKU, validAt, type CertFacts } from './certs.js';
import { pkijs } from '../pki/pkijs.js';

/**
 * The path from the signer to the CA the verifier trusts (RFC 5280 s.6), found and checked by
 * pkijs's CertificateChainValidationEngine: names chain, every certificate's signature verifies
 * with its issuer's key, issuers are CAs. Our policy (policy.ts) adds what the engine leaves out.
 *
 * The engine is run at a moment when every certificate involved is valid, and validity at the
 * signing time is then judged here on the path it found. Nothing else the engine checks depends
 * on time (no CRLs are given to it: revocation is ours, revocation.ts), so its answer depends
 * only on the certificates and is remembered for the next certificate from the same signer.
 *
 * The signer's usage follows S/MIME signing, the purpose `openssl cms -verify` applies:
 * keyUsage digitalSignature or nonRepudiation, and extKeyUsage (when present) emailProtection.
 */

export type PathResult = { ok: true; path: CertFacts[] } | { ok: false; reason: string };

const pathCache = new Map<string, Promise<PathResult>>();
const CACHE_LIMIT = 256;

export function findPath(signer: CertFacts, others: CertFacts[], anchor: CertFacts): Promise<PathResult> {
  const key = [anchor, signer, ...others].map((c) => c.fingerprint).join(' ');
  let result = pathCache.get(key);
  if (!result) {
    result = runEngine(signer, others, anchor);
    if (pathCache.size >= CACHE_LIMIT) pathCache.clear();
    pathCache.set(key, result);
  }
  return result;
}

async function runEngine(signer: CertFacts, others: CertFacts[], anchor: CertFacts): Promise<PathResult> {
  const all = [signer, ...others, anchor];
  const from = Math.max(...all.map((c) => c.notBefore.getTime()));
  const to = Math.min(...all.map((c) => c.notAfter.getTime()));
  if (from > to) return { ok: false, reason: 'the certificates were never all valid at the same time' };
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: [anchor.cert],
    // The engine takes the last certificate as the one to validate.
    certs: [...others.map((c) => c.cert), signer.cert],
    checkDate: new Date(from),
  });
  try {
    const r = await engine.verify();
    if (!r.result) return { ok: false, reason: r.resultMessage };
    const path = (r.certificatePath ?? []).map((cert) => all.find((c) => c.cert === cert));
    if (path.some((c) => c === undefined) || path.length < 2)
      return { ok: false, reason: 'the path found does not end at the given CA' };
    return { ok: true, path: path as CertFacts[] };
  } catch (err) {
    const e = err as { resultMessage?: string; message?: string };
    return { ok: false, reason: e.resultMessage ?? e.message ?? String(err) };
  }
}

function notValid(c: CertFacts, t: Date): string {
  return (
    `${c.name} was not valid at the signing time ${t.toISOString()} ` +
    `(valid ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()})`
  );
}

export function checkChain(
  found: PathResult,
  signer: CertFacts,
  anchor: CertFacts,
  others: CertFacts[],
  signingTime: Date | undefined,
): Check {
  if (!signingTime) return fail('chain', 'no readable signingTime attribute, so validity cannot be judged');
  if (!found.ok) {
    // Certificates out of date at the signing time say more than the engine's reason for no path.
    const stale = [signer, ...others, anchor].find((c) => !validAt(c, signingTime));
    if (stale) return fail('chain', notValid(stale, signingTime));
    return fail('chain', `no valid path from the signer to the given CA (${anchor.name}): ${found.reason}`);
  }
  const { path } = found;
  // A certificate in the CMS that is on no path was put there by someone other than the signer.
  const stray = others.find((c) => !path.includes(c) && c.fingerprint !== anchor.fingerprint);
  if (stray)
    return fail('chain', `the CMS carries a certificate that is not on the signer's path (${stray.name})`);
  const stale = path.find((c) => !validAt(c, signingTime));
  if (stale) return fail('chain', notValid(stale, signingTime));
  return pass(
    'chain',
    `${path.map((c) => c.name).join(' <- ')}; all valid at the signing time ${signingTime.toISOString()}`,
  );
}

export function checkSignerUsage(signer: CertFacts): Check {
  const ku = signer.keyUsage;
  if (!ku) return fail('signer-usage', 'the signer certificate has no keyUsage extension');
  if (!ku.has('digitalSignature') && !ku.has('nonRepudiation')) {
    return fail('signer-usage', 'keyUsage allows neither digitalSignature nor nonRepudiation');
  }
  const eku = signer.extKeyUsage;
  if (eku && !eku.includes(EKU.emailProtection) && !eku.includes(EKU.any)) {
    return fail('signer-usage', 'extKeyUsage does not include emailProtection');
  }
  const usages = [...ku].filter((u) => u === 'digitalSignature' || u === 'nonRepudiation').join(', ');
  return pass('signer-usage', `keyUsage ${usages}${eku ? '; extKeyUsage emailProtection' : ''}`);
}

import * as asn1js from 'asn1js';
import {
  ACCEPTED_CURVES,
  DIGESTS,
  EC_PUBLIC_KEY,
  MIN_RSA_BITS,
  PSS_DEFAULT_DIGEST,
  RSA_ENCRYPTION,
  SIGNATURES,
  digestProblem,
} from './algorithms.js';
import { fail, pass, type Check } from './check.js';
import { EXT, type CertFacts } from './certs.js';
import type { SignedMessage } from './cms.js';
import { pkijs } from '../pki/pkijs.js';
import type { PathResult } from './chain.js';

/**
 * Our policy on top of the library's path validation, one named check per rule, each judged on
 * every certificate from the signer to the CA (the CA included: a weak anchor weakens all it
 * signs). pkijs validates the path but does not judge algorithms or key sizes, does not apply
 * pathLenConstraint, and only refuses a critical extension it cannot parse.
 */

/** Critical extensions something on the path honours: ours below, or pkijs's engine. */
const UNDERSTOOD_CRITICAL: Record<string, string> = {
  [EXT.keyUsage]: 'keyUsage',
  [EXT.basicConstraints]: 'basicConstraints',
  [EXT.extKeyUsage]: 'extKeyUsage',
  [EXT.subjectAltName]: 'subjectAltName',
  '2.5.29.30': 'nameConstraints',
  '2.5.29.32': 'certificatePolicies',
  '2.5.29.33': 'policyMappings',
  '2.5.29.36': 'policyConstraints',
  '2.5.29.54': 'inhibitAnyPolicy',
};

/** The certificates a rule judges: the path when there is one, else everything presented. */
export function judged(found: PathResult, signer: CertFacts, others: CertFacts[], anchor: CertFacts) {
  return found.ok ? found.path : [signer, ...others, anchor];
}

export function checkAlgorithms(m: SignedMessage, certs: CertFacts[]): Check {
  const problems: string[] = [];
  const cmsDigest = digestProblem(m.digestAlgorithm);
  if (cmsDigest) problems.push(`the signature's digest: ${cmsDigest}`);
  const sigAlg = m.signerInfo.signatureAlgorithm;
  if (sigAlg.algorithmId !== RSA_ENCRYPTION && sigAlg.algorithmId !== EC_PUBLIC_KEY) {
    const p = signatureProblem(sigAlg);
    if (p) problems.push(`the signature: ${p}`);
  }
  for (const c of certs) {
    const p = signatureProblem(c.cert.signatureAlgorithm);
    if (p) problems.push(`${c.name}: ${p}`);
  }
  if (problems.length > 0) return fail('algorithms', problems.join('; '));
  const names = new Set([
    DIGESTS[m.digestAlgorithm]?.name,
    ...certs.map((c) => SIGNATURES[c.signatureAlgorithm]?.name),
  ]);
  return pass('algorithms', [...names].join(', '));
}

function signatureProblem(alg: pkijs.AlgorithmIdentifier): string | undefined {
  const known = SIGNATURES[alg.algorithmId];
  if (!known) return `unknown signature algorithm ${alg.algorithmId}`;
  let digest = known.digest;
  if (digest === null) {
    try {
      const params = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams as asn1js.AsnType });
      digest = params.hashAlgorithm?.algorithmId ?? PSS_DEFAULT_DIGEST;
    } catch {
      return 'RSASSA-PSS parameters cannot be read';
    }
  }
  const p = digestProblem(digest);
  return p ? `signed with ${known.name} (${p})` : undefined;
}

export function checkKeyStrength(certs: CertFacts[]): Check {
  const problems: string[] = [];
  const seen: string[] = [];
  for (const c of certs) {
    const { type, bits, curve } = c.key;
    if (type === 'rsa' || type === 'rsa-pss') {
      if (bits === undefined || bits < MIN_RSA_BITS)
        problems.push(`${c.name} has a ${bits ?? '?'}-bit RSA key (at least ${MIN_RSA_BITS} required)`);
      else seen.push(`RSA ${bits}`);
    } else if (type === 'ec') {
      const nist = curve ? ACCEPTED_CURVES[curve] : undefined;
      if (!nist)
        problems.push(
          `${c.name} has an EC key on ${curve ?? 'an unnamed curve'} (P-256 or stronger required)`,
        );
      else seen.push(`EC ${nist}`);
    } else {
      problems.push(`${c.name} has a ${type} key, which is not accepted (RSA or EC only)`);
    }
  }
  if (problems.length > 0) return fail('key-strength', problems.join('; '));
  return pass('key-strength', [...new Set(seen)].join(', '));
}

/**
 * RFC 5280 s.6.1.4 (k)-(n): every issuer on the path is a CA (basicConstraints cA), may sign
 * certificates (keyUsage keyCertSign), and has no more CAs below it than its pathLenConstraint.
 */
export function checkCaConstraints(found: PathResult, issuers: CertFacts[]): Check {
  if (!found.ok) {
    // Without a path the order is unknown, but every certificate besides the signer's is
    // presented as an issuer, so cA and keyCertSign can still be judged (and explain the gap).
    const problems = issuers.flatMap(caProblems);
    return fail(
      'ca-constraints',
      problems.length > 0 ? problems.join('; ') : 'not checked: no path to the CA',
    );
  }
  const problems: string[] = [];
  found.path.forEach((c, k) => {
    if (k === 0) return;
    problems.push(...caProblems(c));
    const below = found.path.slice(1, k).filter((x) => !selfIssued(x)).length;
    const limit = c.basicConstraints?.pathLen;
    if (limit !== undefined && below > limit)
      problems.push(`${c.name} allows ${limit} CA(s) below it (pathLenConstraint) but the path has ${below}`);
  });
  if (problems.length > 0) return fail('ca-constraints', problems.join('; '));
  return pass(
    'ca-constraints',
    `${found.path.length - 1} CA(s) on the path, each with cA, keyCertSign and room in pathLenConstraint`,
  );
}

function caProblems(c: CertFacts): string[] {
  const problems: string[] = [];
  if (!c.basicConstraints?.ca) problems.push(`${c.name} is not a CA (basicConstraints)`);
  if (!c.keyUsage?.has('keyCertSign')) problems.push(`${c.name} may not sign certificates (no keyCertSign)`);
  return problems;
}

function selfIssued(c: CertFacts): boolean {
  return c.cert.subject.isEqual(c.cert.issuer);
}

export function checkCriticalExtensions(certs: CertFacts[]): Check {
  const problems: string[] = [];
  for (const c of certs) {
    for (const e of c.extensions) {
      if (e.critical && !UNDERSTOOD_CRITICAL[e.oid])
        problems.push(`${c.name} has an unknown critical extension ${e.oid}`);
    }
  }
  if (problems.length > 0) return fail('critical-extensions', problems.join('; '));
  return pass('critical-extensions', 'every critical extension on the path is understood');
}

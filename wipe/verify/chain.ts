import { EKU, validAt, type CertInfo } from './x509.js';
import { fail, pass, type Check } from './signature.js';

/**
 * Path from the signer to the CA the verifier trusts (RFC 5280 s.6, reduced to what an
 * organisation PKI uses: names and key identifiers chain, signatures verify, issuers are CAs,
 * every certificate is valid at the signing time). Revocation is not checked: posdecom's PKI
 * publishes no CRL, and the README says so.
 *
 * The signer's usage follows S/MIME signing, the purpose `openssl cms -verify` applies:
 * keyUsage digitalSignature or nonRepudiation, and extKeyUsage (when present) emailProtection.
 */

const MAX_DEPTH = 8;

export function checkChain(
  signer: CertInfo,
  others: CertInfo[],
  ca: CertInfo,
  signingTime: Date | undefined,
): Check {
  if (!signingTime) return fail('chain', 'no readable signingTime attribute, so validity cannot be judged');
  if (!ca.x509.ca) return fail('chain', 'the given CA certificate is not a CA (basicConstraints)');
  const path: CertInfo[] = [signer];
  let current = signer;
  for (let depth = 0; ; depth++) {
    if (issuedBy(current, ca)) break;
    const next = others.find((c) => !path.includes(c) && issuedBy(current, c));
    if (!next || depth >= MAX_DEPTH)
      return fail('chain', `no path from the signer to the given CA (${cn(ca)})`);
    if (!next.x509.ca || (next.keyUsage && !next.keyUsage.has('keyCertSign'))) {
      return fail('chain', `intermediate ${cn(next)} is not a CA`);
    }
    path.push(next);
    current = next;
  }
  if (ca.keyUsage && !ca.keyUsage.has('keyCertSign'))
    return fail('chain', 'the CA may not sign certificates');
  // A certificate in the CMS that is on no path was put there by someone other than the signer.
  const stray = others.find((c) => !path.includes(c) && !c.der.equals(ca.der));
  if (stray)
    return fail('chain', `the CMS carries a certificate that is not on the signer's path (${cn(stray)})`);
  for (const c of [...path, ca]) {
    if (!validAt(c.x509, signingTime)) {
      return fail(
        'chain',
        `${cn(c)} was not valid at the signing time ${signingTime.toISOString()} (valid ${c.x509.validFrom} to ${c.x509.validTo})`,
      );
    }
  }
  const names = [...path, ca].map(cn).join(' <- ');
  return pass('chain', `${names}; all valid at the signing time ${signingTime.toISOString()}`);
}

export function checkSignerUsage(signer: CertInfo): Check {
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

/** Signature checks between cached certificates are facts too; remembered per pair. */
const issuedCache = new WeakMap<CertInfo, WeakMap<CertInfo, boolean>>();

function issuedBy(child: CertInfo, issuer: CertInfo): boolean {
  let byIssuer = issuedCache.get(child);
  const known = byIssuer?.get(issuer);
  if (known !== undefined) return known;
  let result = false;
  if (child.x509.checkIssued(issuer.x509)) {
    try {
      result = child.x509.verify(issuer.x509.publicKey);
    } catch {
      result = false;
    }
  }
  if (!byIssuer) issuedCache.set(child, (byIssuer = new WeakMap()));
  byIssuer.set(issuer, result);
  return result;
}

function cn(c: CertInfo): string {
  return /^CN=(.*)$/m.exec(c.x509.subject)?.[1] ?? c.x509.subject.replace(/\n/g, ', ');
}

import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { DIGESTS } from './algorithms.js';
import { fail, pass, type Check } from './check.js';
import type { CertFacts } from './certs.js';
import { OID, type SignedMessage } from './cms.js';

/**
 * The cryptographic core: the messageDigest attribute binds the content (checked here, so a
 * changed JSON is named as such), and pkijs's SignedData.verify checks the signature over the
 * signed attributes with the signer's key (WebCrypto, OpenSSL underneath). Nothing here trusts
 * forge, which only wrote the file.
 */

export interface SignerFindings {
  checks: Check[];
  signer?: CertFacts;
  others: CertFacts[];
}

export async function checkSignature(content: Uint8Array, m: SignedMessage): Promise<SignerFindings> {
  const checks: Check[] = [];
  const digestOk = checkDigest(content, m, checks);
  const sid = m.signerInfo.sid as { issuer: { isEqual(x: unknown): boolean }; serialNumber: asn1js.Integer };
  const signer = m.certificates.find(
    (c) => c.cert.issuer.isEqual(sid.issuer) && c.cert.serialNumber.isEqual(sid.serialNumber),
  );
  if (!signer) {
    checks.push(fail('signature', "the signer's certificate is not in the CMS"));
    return { checks, others: m.certificates };
  }
  const others = m.certificates.filter((c) => c !== signer);
  if (!digestOk) {
    checks.push(fail('signature', 'not checked: the content does not match the signed digest'));
    return { checks, signer, others };
  }
  let good = false;
  let why = '';
  try {
    const r = await m.signedData.verify({
      signer: 0,
      data: new Uint8Array(content).buffer,
      extendedMode: true,
      checkChain: false,
    });
    good = r.signatureVerified === true;
  } catch (err) {
    why = `: ${(err as Error).message}`;
  }
  checks.push(
    good
      ? pass('signature', `signature by ${signer.x509.subject.split('\n').join(', ')} is valid`)
      : fail('signature', `the signature over the signed attributes does not verify${why}`),
  );
  return { checks, signer, others };
}

function checkDigest(content: Uint8Array, m: SignedMessage, checks: Check[]): boolean {
  const contentType = m.attributes.get(OID.contentType);
  const md = m.attributes.get(OID.messageDigest);
  const hash = DIGESTS[m.digestAlgorithm]?.name.replace('-', '').toLowerCase();
  let problem: string | undefined;
  let digest: Buffer | undefined;
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== OID.data) {
    problem = 'the contentType attribute is missing or is not "data"';
  } else if (!(md instanceof asn1js.OctetString)) {
    problem = 'the messageDigest attribute is missing';
  } else if (!hash || hash === 'md2') {
    problem = `cannot compute digest algorithm ${m.digestAlgorithm}`;
  } else {
    digest = createHash(hash).update(content).digest();
    if (!digest.equals(md.valueBlock.valueHexView))
      problem = `${DIGESTS[m.digestAlgorithm]?.name} of the content differs from the signed messageDigest: the content was changed`;
  }
  checks.push(
    problem === undefined && digest
      ? pass('message-digest', `${hash} ${digest.toString('hex')} matches the signed messageDigest`)
      : fail('message-digest', problem ?? 'no digest'),
  );
  return problem === undefined;
}

import { createHash, verify as rsaVerify } from 'node:crypto';
import { octets, oid } from '../pki/der.js';
import { OID, decodeTime, type ParsedSignedData } from './signed-data.js';
import { certInfoCached, type CertInfo } from './x509.js';

/**
 * The cryptographic core of verification, all in node:crypto (OpenSSL): the messageDigest
 * attribute binds the content, and the RSA signature binds the signed attributes to the
 * signer's key. Nothing here trusts forge, which only wrote the file.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SignerFindings {
  checks: Check[];
  signer?: CertInfo;
  others: CertInfo[];
  signingTime?: Date;
}

const DATA_OID_DER = oid(OID.data);

export function checkSignature(json: Uint8Array, cms: ParsedSignedData): SignerFindings {
  const checks: Check[] = [];
  const attrs = cms.signer.attributes;

  const digest = createHash('sha256').update(json).digest();
  const expected = octets(digest);
  const contentType = attrs.get(OID.contentType);
  const md = attrs.get(OID.messageDigest);
  if (contentType?.length !== 1 || !contentType[0]?.equals(DATA_OID_DER)) {
    checks.push(fail('message-digest', 'the contentType attribute is missing or is not "data"'));
  } else if (md?.length !== 1) {
    checks.push(fail('message-digest', 'the messageDigest attribute is missing'));
  } else if (!md[0]?.equals(expected)) {
    checks.push(
      fail(
        'message-digest',
        'sha256 of the JSON differs from the signed messageDigest: the JSON was changed',
      ),
    );
  } else {
    checks.push(pass('message-digest', `sha256 ${digest.toString('hex')} matches the signed messageDigest`));
  }

  const infos: CertInfo[] = [];
  for (const der of cms.certificates) {
    try {
      infos.push(certInfoCached(der));
    } catch {
      checks.push(fail('signature', 'the CMS carries a certificate that cannot be parsed'));
      return { checks, others: [] };
    }
  }
  const signer = infos.find((c) => c.issuer.equals(cms.signer.issuer) && c.serial.equals(cms.signer.serial));
  if (!signer) {
    checks.push(fail('signature', "the signer's certificate is not in the CMS"));
    return { checks, others: infos };
  }
  let good = false;
  try {
    good = rsaVerify('sha256', cms.signer.signedAttrs, signer.x509.publicKey, cms.signer.signature);
  } catch {
    good = false;
  }
  checks.push(
    good
      ? pass('signature', `RSA signature by ${signer.x509.subject.split('\n').join(', ')} is valid`)
      : fail('signature', 'the RSA signature over the signed attributes does not verify'),
  );

  const st = attrs.get(OID.signingTime);
  let signingTime: Date | undefined;
  try {
    if (st?.length === 1 && st[0]) signingTime = decodeTime(st[0]);
  } catch {
    signingTime = undefined;
  }
  return { checks, signer, others: infos.filter((c) => c !== signer), signingTime };
}

export function pass(name: string, detail: string): Check {
  return { name, ok: true, detail };
}

export function fail(name: string, detail: string): Check {
  return { name, ok: false, detail };
}

/**
 * The organisation's backup recipient certificate: loaded, checked before any terminal data is
 * read (a backup that nobody can open is worse than none), and reduced to what the CMS recipient
 * info needs: the RSA public key plus the issuer and serial number exactly as encoded.
 */
import { X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { MalformedDer, Tag, children, ctxCons, decodeOid, expectTag, readTlv } from './der.js';
import { errnoCode } from '../backup/atomic-file.js';

export interface Recipient {
  certPem: string;
}

export interface RecipientInfoSummary {
  subject: string;
  serialNumber: string;
  sha256Fingerprint: string;
}

export interface ParsedRecipient {
  summary: RecipientInfoSummary;
  certPem: string;
  publicKey: KeyObject;
  /** DER of the certificate's issuer Name, byte for byte: openssl compares encodings. */
  issuerDer: Buffer;
  /** DER of the certificate's serialNumber INTEGER. */
  serialDer: Buffer;
}

const MAX_CERT_FILE = 1024 * 1024;
const MIN_RSA_BITS = 2048;
const KEY_USAGE = '2.5.29.15';
const KEY_ENCIPHERMENT = 0x20; // bit 2 of the first KeyUsage octet (RFC 5280 s.4.2.1.3)

function unusable(what: string, why: string, cause?: unknown): PosdecomError {
  return new PosdecomError(ErrorCode.BackupRecipientMissing, `backup recipient certificate ${what}: ${why}`, {
    cause,
  });
}

/** Reads and checks the recipient certificate at `certPath` (PEM or DER). */
export async function loadRecipient(certPath: string): Promise<RecipientInfoSummary & { certPem: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(certPath);
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOENT' ? 'file not found' : `cannot read it (${code ?? 'error'})`;
    throw unusable(certPath, why, err);
  }
  if (bytes.length > MAX_CERT_FILE) throw unusable(certPath, 'file is too large to be a certificate');
  const parsed = parseRecipient(bytes, certPath);
  return { ...parsed.summary, certPem: parsed.certPem };
}

/** Validates a certificate for use as a backup recipient; `label` names it in errors. */
export function parseRecipient(cert: string | Buffer, label: string, now = new Date()): ParsedRecipient {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw unusable(label, 'not an X.509 certificate (PEM or DER)', err);
  }
  const key = x509.publicKey;
  if (key.asymmetricKeyType !== 'rsa') {
    throw unusable(label, `key is ${key.asymmetricKeyType ?? 'unknown'}, RSA is required for RSAES-OAEP`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS)
    throw unusable(label, `RSA key is ${bits} bits, at least ${MIN_RSA_BITS} required`);
  if (Date.parse(x509.validTo) < now.getTime()) throw unusable(label, `expired on ${x509.validTo}`);
  if (Date.parse(x509.validFrom) > now.getTime()) throw unusable(label, `not valid before ${x509.validFrom}`);

  let fields: { issuerDer: Buffer; serialDer: Buffer; keyUsage: number | undefined };
  try {
    fields = tbsFields(x509.raw);
  } catch (err) {
    throw unusable(
      label,
      `malformed certificate (${err instanceof MalformedDer ? err.message : 'bad DER'})`,
      err,
    );
  }
  // Without the extension the key is unrestricted (RFC 5280); with it, keyEncipherment must be set.
  if (fields.keyUsage !== undefined && (fields.keyUsage & KEY_ENCIPHERMENT) === 0) {
    throw unusable(label, 'keyUsage does not include keyEncipherment');
  }
  return {
    summary: {
      subject: x509.subject.split('\n').join(', '),
      serialNumber: x509.serialNumber.toUpperCase(),
      sha256Fingerprint: x509.fingerprint256,
    },
    certPem: x509.toString(),
    publicKey: key,
    issuerDer: Buffer.from(fields.issuerDer),
    serialDer: Buffer.from(fields.serialDer),
  };
}

/** Issuer, serial and the first KeyUsage octet from TBSCertificate (RFC 5280 s.4.1). */
function tbsFields(der: Buffer): { issuerDer: Buffer; serialDer: Buffer; keyUsage: number | undefined } {
  const [tbs] = children(expectTag(readTlv(der), Tag.Sequence, 'Certificate').value, 3);
  const fields = children(expectTag(tbs, Tag.Sequence, 'TBSCertificate').value, 10);
  const rest = fields[0]?.tag === ctxCons(0) ? fields.slice(1) : fields;
  const serial = expectTag(rest[0], Tag.Integer, 'serialNumber');
  const issuer = expectTag(rest[2], Tag.Sequence, 'issuer');
  const extensions = rest.find((f) => f.tag === ctxCons(3));
  let keyUsage: number | undefined;
  if (extensions !== undefined) {
    for (const ext of children(expectTag(readTlv(extensions.value), Tag.Sequence, 'extensions').value, 64)) {
      const parts = children(expectTag(ext, Tag.Sequence, 'extension').value, 3);
      if (parts[0] === undefined || decodeOid(parts[0]) !== KEY_USAGE) continue;
      const value = expectTag(parts[parts.length - 1], Tag.OctetString, 'extnValue');
      const bits = expectTag(readTlv(value.value), Tag.BitString, 'KeyUsage').value;
      keyUsage = bits[1] ?? 0; // bits[0] counts unused bits; an empty KeyUsage grants nothing
    }
  }
  return { issuerDer: issuer.raw, serialDer: serial.raw, keyUsage };
}

import { X509Certificate } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { canonicalize } from '../certificate/canonical-json.js';
import type { AnyWipeCertificate as WipeCertificate } from '../certificate/schema.js';
import { schemaErrors } from '../certificate/schema.js';
import { subjectLine } from '../pki/common.js';
import { checkBackup } from './backup.js';
import { checkChain, checkSignerUsage } from './chain.js';
import { parseSignedData, type ParsedSignedData } from './signed-data.js';
import { internalRuleViolations } from './rules.js';
import { checkSignature, fail, pass, type Check, type SignerFindings } from './signature.js';
import { certInfoCached, type CertInfo } from './x509.js';

/**
 * Verifies a wipe certificate: the detached CMS signature over the exact JSON bytes, the
 * signer's chain to a CA the caller trusts, and the document itself (schema, canonical form,
 * results that follow from its steps), optionally the backup it vouches for. Every check is
 * always reported, by name, so a reader sees everything that is wrong, not just the first.
 *
 *   certificate.p7s --parse--> signer info --RSA (node:crypto)--> chain to CA --> usage
 *   certificate.json ---------> messageDigest, schema, canonical form, rules, backup
 */

export type { Check } from './signature.js';

export const CHECK_NAMES = [
  'cms-structure',
  'message-digest',
  'signature',
  'chain',
  'signer-usage',
  'signer-identity',
  'schema',
  'canonical-form',
  'internal-rules',
] as const;

export interface VerificationReport {
  ok: boolean;
  checks: Check[];
  /** Present when the JSON matches the schema (whether or not the signature holds). */
  certificate?: WipeCertificate;
}

export interface VerifyOptions {
  /** The backup directory (or the job output directory holding backup/) to check as well. */
  backupDir?: string;
}

/** Parsed trust anchors, so verifying many certificates against one CA parses it once. */
const caCache = new Map<string, CertInfo>();
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export async function verifyCertificate(
  jsonBytes: Uint8Array,
  p7sDer: Uint8Array,
  caPem: string,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  const report = verifyCertificateSync(jsonBytes, p7sDer, caPem);
  if (options.backupDir !== undefined) {
    const check = report.certificate
      ? await checkBackup(report.certificate, options.backupDir)
      : fail('backup', 'not checked: the certificate JSON is not valid');
    report.checks.push(check);
    report.ok = report.ok && check.ok;
  }
  return report;
}

/** Everything but the backup: no I/O, so it can run in a tight loop. */
export function verifyCertificateSync(
  jsonBytes: Uint8Array,
  p7sDer: Uint8Array,
  caPem: string,
): VerificationReport {
  const ca = trustAnchor(caPem);
  const checks: Check[] = [];
  const findings = verifySignedData(jsonBytes, p7sDer, ca, checks);
  const cryptoGap = !findings
    ? 'the signature file could not be read'
    : "the signer's certificate is not in the signature file";

  let value: unknown;
  let jsonGap: string | undefined;
  try {
    value = JSON.parse(UTF8.decode(jsonBytes));
  } catch (err) {
    jsonGap = `not UTF-8 JSON: ${(err as Error).message}`;
  }
  let certificate: WipeCertificate | undefined;
  if (jsonGap === undefined) {
    const errors = schemaErrors(value);
    if (errors.length === 0) certificate = value as WipeCertificate;
    else jsonGap = 'the JSON does not match the schema';
    checks.push(
      errors.length === 0
        ? pass('schema', 'matches certificate.schema.json')
        : fail('schema', errors.slice(0, 3).join('; ')),
    );
    checks.push(canonicalCheck(jsonBytes, value));
  }
  if (certificate) {
    let problems: string[];
    try {
      problems = internalRuleViolations(certificate);
    } catch (err) {
      // e.g. a lone surrogate from a "\ud800" escape, which canonical JSON refuses
      problems = [`cannot evaluate the rules: ${(err as Error).message}`];
    }
    checks.push(
      problems.length === 0
        ? pass(
            'internal-rules',
            `overall ${certificate.overall.result} follows from ${certificate.steps.length} steps`,
          )
        : fail('internal-rules', problems.join('; ')),
    );
    if (findings?.signer) {
      const actual = subjectLine(findings.signer.x509);
      checks.push(
        actual === certificate.performedBy.signerSubject
          ? pass('signer-identity', `performedBy matches the signer (${actual})`)
          : fail(
              'signer-identity',
              `performedBy names "${certificate.performedBy.signerSubject}" but "${actual}" signed`,
            ),
      );
    }
  }
  // A check that could not run is reported as failed, with what stopped it.
  const gap = (name: string) =>
    ['message-digest', 'signature', 'chain', 'signer-usage'].includes(name)
      ? cryptoGap
      : (jsonGap ?? cryptoGap);
  const ordered = CHECK_NAMES.map(
    (name) => checks.find((c) => c.name === name) ?? fail(name, `not checked: ${gap(name)}`),
  );
  return { ok: ordered.every((c) => c.ok), checks: ordered, ...(certificate ? { certificate } : {}) };
}

function verifySignedData(
  json: Uint8Array,
  p7s: Uint8Array,
  ca: CertInfo,
  checks: Check[],
): SignerFindings | undefined {
  let cms: ParsedSignedData;
  try {
    cms = parseSignedData(p7s);
  } catch (err) {
    checks.push(fail('cms-structure', `not a posdecom CMS signature: ${(err as Error).message}`));
    return undefined;
  }
  checks.push(
    pass('cms-structure', `detached SignedData, one signer, ${cms.certificates.length} certificate(s)`),
  );
  const findings = checkSignature(json, cms);
  checks.push(...findings.checks);
  if (findings.signer) {
    checks.push(checkChain(findings.signer, findings.others, ca, findings.signingTime));
    checks.push(checkSignerUsage(findings.signer));
  }
  return findings;
}

function canonicalCheck(jsonBytes: Uint8Array, value: unknown): Check {
  try {
    const canonical = Buffer.from(canonicalize(value), 'utf8');
    return canonical.equals(jsonBytes)
      ? pass('canonical-form', 'bytes are canonical JSON (RFC 8785)')
      : fail(
          'canonical-form',
          'bytes are not the canonical form of their own content (reformatted or edited?)',
        );
  } catch (err) {
    return fail('canonical-form', (err as Error).message);
  }
}

function trustAnchor(caPem: string): CertInfo {
  const cached = caCache.get(caPem);
  if (cached) return cached;
  let info: CertInfo;
  try {
    info = certInfoCached(Buffer.from(new X509Certificate(caPem).raw));
  } catch {
    throw new PosdecomError(ErrorCode.UsageBadFile, 'the CA file is not a PEM certificate');
  }
  if (caCache.size >= 16) caCache.clear();
  caCache.set(caPem, info);
  return info;
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { canonicalBytes } from '../certificate/canonical-json.js';
import { signCertificate, type Signer } from '../certificate/sign.js';
import { writeFileAtomic } from '../pki/fs.js';
import {
  MAX_NOTE_CHARS,
  VALIDATION_FILES,
  VALIDATION_FORMAT,
  validatorFromCertificate,
  type Outcome,
  type ValidationRecord,
} from './record.js';

export interface ValidateOptions {
  outcome: Outcome;
  note: string;
  tool: { name: string; version: string };
  now?: Date;
}

/**
 * Writes validation.json and validation.p7s beside the certificate, signed with the same code
 * as the certificate (certificate/sign.ts). The JSON is written first, the signature last and
 * never over an existing one: a validation, once made, is not silently replaced.
 */
export async function writeValidation(
  certificatePath: string,
  signer: Signer,
  o: ValidateOptions,
): Promise<{ record: ValidationRecord; files: string[] }> {
  if (o.note.trim().length === 0 || o.note.length > MAX_NOTE_CHARS)
    throw usage(`--note must say something, in at most ${MAX_NOTE_CHARS} characters`);
  const bytes = await readFile(certificatePath).catch((err: NodeJS.ErrnoException) => {
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `cannot read ${certificatePath}: ${err.code ?? err.message}`,
    );
  });
  const cert = parse(bytes);
  const validator = validatorFromCertificate(signer.certPem);
  if (validator.signerSubject === cert.signerSubject)
    throw usage(`the validator must be a second person: ${validator.signerSubject} signed the certificate`);
  const record: ValidationRecord = {
    format: VALIDATION_FORMAT,
    certificateId: cert.certificateId,
    certificateSha256: createHash('sha256').update(bytes).digest('hex'),
    outcome: o.outcome,
    note: o.note,
    validator,
    validatedAt: (o.now ?? new Date()).toISOString(),
    tool: o.tool,
  };
  const json = canonicalBytes(record);
  const p7s = signCertificate(json, { ...signer, ...(o.now ? { signingTime: o.now } : {}) });
  const dir = dirname(certificatePath);
  const jsonPath = join(dir, VALIDATION_FILES.json);
  const sigPath = join(dir, VALIDATION_FILES.signature);
  await readFile(sigPath).then(
    () => {
      throw usage(`${sigPath} exists: this certificate was already validated`);
    },
    () => undefined,
  );
  await writeFileAtomic(jsonPath, json);
  await writeFileAtomic(sigPath, p7s, { noClobber: true });
  return { record, files: [jsonPath, sigPath] };
}

function parse(bytes: Buffer): { certificateId: string; signerSubject: string } {
  let c: { certificateId?: unknown; performedBy?: { signerSubject?: unknown } };
  try {
    c = JSON.parse(bytes.toString('utf8')) as typeof c;
  } catch {
    throw new PosdecomError(ErrorCode.UsageBadFile, 'the certificate is not JSON');
  }
  if (typeof c?.certificateId !== 'string' || typeof c.performedBy?.signerSubject !== 'string')
    throw new PosdecomError(ErrorCode.UsageBadFile, 'the file is not a posdecom wipe certificate');
  return { certificateId: c.certificateId, signerSubject: c.performedBy.signerSubject };
}

function usage(message: string): PosdecomError {
  return new PosdecomError(ErrorCode.UsageInvalid, message);
}

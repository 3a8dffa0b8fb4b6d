import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { WipeCertificate } from './model.js';

/**
 * The certificate's JSON Schema (draft 2020-12) ships beside the sources as
 * wipe/certificate/certificate.schema.json; compiled code runs from dist/wipe/certificate/, which tsc does not copy
 * JSON into, so both places are tried. Compiled once per process: verifying a thousand
 * certificates must not compile the schema a thousand times.
 */

const CANDIDATES = ['./certificate.schema.json', '../../../wipe/certificate/certificate.schema.json'];

let compiled: ValidateFunction<WipeCertificate> | undefined;

export function certificateSchema(): object {
  for (const rel of CANDIDATES) {
    const url = new URL(rel, import.meta.url);
    let text: string;
    try {
      text = readFileSync(url, 'utf8');
    } catch {
      continue;
    }
    return JSON.parse(text) as object;
  }
  throw new PosdecomError(
    ErrorCode.CertificateInvalid,
    'certificate.schema.json is missing from the installation',
  );
}

function validator(): ValidateFunction<WipeCertificate> {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    compiled = ajv.compile<WipeCertificate>(certificateSchema());
  }
  return compiled;
}

/** Schema problems as short lines ("/steps/3/result: must be equal to one of the allowed values"). */
export function schemaErrors(value: unknown): string[] {
  const validate = validator();
  if (validate(value)) return [];
  return (validate.errors ?? []).map(describe);
}

export function assertSchema(value: unknown): asserts value is WipeCertificate {
  const errors = schemaErrors(value);
  if (errors.length > 0) {
    throw new PosdecomError(
      ErrorCode.CertificateInvalid,
      `certificate does not match its schema: ${errors[0]}`,
      {
        errors,
      },
    );
  }
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'}: ${e.message ?? e.keyword}`;
}

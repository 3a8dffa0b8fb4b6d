import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { SCHEMA_VERSION, type WipeCertificate } from './model.js';
import { readShipped } from './shipped.js';
import { SCHEMA_VERSION_1, type WipeCertificateV1 } from './v1/model.js';

/**
 * The certificate's JSON Schemas (draft 2020-12), one per schema version, chosen by the
 * document's own `schemaVersion`: version 2 (certificate.schema.json) is what posdecom issues,
 * version 1 (v1/certificate.schema.json) is kept so certificates issued before still verify.
 * Each is compiled once per process: verifying a thousand certificates must not compile it a
 * thousand times.
 */

/** Any certificate posdecom has ever issued. */
export type AnyWipeCertificate = WipeCertificate | WipeCertificateV1;

const FILES: Record<string, string> = {
  [SCHEMA_VERSION]: 'certificate.schema.json',
  [SCHEMA_VERSION_1]: 'v1/certificate.schema.json',
};

const compiled = new Map<string, ValidateFunction>();

export function certificateSchema(version: string = SCHEMA_VERSION): object {
  const file = FILES[version];
  if (!file) throw new PosdecomError(ErrorCode.CertificateInvalid, `no schema for ${version}`);
  return JSON.parse(readShipped(file).toString('utf8')) as object;
}

function validator(version: string): ValidateFunction {
  let v = compiled.get(version);
  if (!v) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    v = ajv.compile(certificateSchema(version));
    compiled.set(version, v);
  }
  return v;
}

/** Schema problems as short lines ("/steps/3/result: must be equal to one of the allowed values"). */
export function schemaErrors(value: unknown): string[] {
  const version =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>).schemaVersion
      : undefined;
  if (typeof version !== 'string' || !Object.hasOwn(FILES, version)) {
    return [`/schemaVersion: must be one of ${Object.keys(FILES).join(', ')}`];
  }
  const validate = validator(version);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(describe);
}

export function assertSchema(value: unknown): asserts value is AnyWipeCertificate {
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

import { readFileSync } from 'node:fs';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

/**
 * Files that ship beside the sources of wipe/certificate/ (JSON Schemas, the PDF's fonts).
 * Compiled code runs from dist/wipe/certificate/, which tsc does not copy them into, so both
 * places are tried; package.json's "files" lists them.
 */
export function readShipped(relative: string): Buffer {
  for (const base of ['./', '../../../wipe/certificate/']) {
    try {
      return readFileSync(new URL(`${base}${relative}`, import.meta.url));
    } catch {
      continue;
    }
  }
  throw new PosdecomError(ErrorCode.CertificateInvalid, `${relative} is missing from the installation`);
}

import { canonicalize } from '../certificate/canonical-json.js';
import { fail, pass, type Check } from './check.js';

/** Signed JSON must be the canonical form of its own content, so one meaning has one byte string. */
export function canonicalCheck(jsonBytes: Uint8Array, value: unknown): Check {
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

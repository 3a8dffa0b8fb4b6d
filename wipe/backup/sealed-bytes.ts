import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Plaintext a resume checkpoint must keep (look-back, bytes received past a part end, the tail of
 * a hash not yet on a 64-byte boundary) goes to disk only as AES-256-GCM under the state key, a
 * key derived from a job secret that never reaches DIR. The checkpoint around it, as JSON, is the
 * associated data: a checkpoint changed on disk, or sealed bytes moved from another store, offset
 * or job, do not open.
 */
export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

/** `plaintext` sealed under `key`, bound to `context` (the checkpoint without its sealed field). */
export function sealBytes(context: object, plaintext: Buffer, key: Buffer, label: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(context, label));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** The sealed bytes, or undefined when they do not open under `key` for exactly `context`. */
export function openBytes(context: object, sealed: Sealed, key: Buffer, label: string): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'), {
      authTagLength: 16,
    });
    decipher.setAAD(associatedData(context, label));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    return undefined;
  }
}

const text = (s: unknown): s is string => typeof s === 'string' && s.length < 64 << 20;

export function isSealed(x: unknown): x is Sealed {
  const s = x as Partial<Sealed> | null;
  return typeof s === 'object' && s !== null && text(s.iv) && text(s.tag) && text(s.data);
}

function associatedData(context: object, label: string): Buffer {
  return createHash('sha256')
    .update(`${label}\n${JSON.stringify(context)}`)
    .digest();
}

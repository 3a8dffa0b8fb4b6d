import { open } from 'node:fs/promises';

/**
 * Reads one small input file of a job directory whole, refusing anything larger than such a file
 * can be: the estate report reads thousands of directories from many hands, and a multi-GB
 * "certificate.json" must be a row saying so, not an exhausted worker thread. The size is taken
 * from the open handle, and no more than the limit is ever read, even if the file grows meanwhile.
 */

export type BoundedRead = { bytes: Buffer } | { missing: true } | { problem: string };

/** Far above any real certificate (tens of KB). */
export const MAX_CERTIFICATE_JSON_BYTES = 2 * 1024 * 1024;
/** A signature holds two or three certificates: a few KB. */
export const MAX_SIGNATURE_BYTES = 1024 * 1024;

export async function readBounded(path: string, limit: number): Promise<BoundedRead> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { missing: true } : { problem: `cannot read ${path}: ${errorText(err)}` };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { problem: `${path} is not a regular file` };
    if (st.size > limit)
      return { problem: `${path} is too large: ${st.size} bytes (at most ${limit} for this file)` };
    const buffer = Buffer.alloc(st.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > st.size) return { problem: `${path} grew while it was read` };
    return { bytes: buffer.subarray(0, length) };
  } catch (err) {
    return { problem: `cannot read ${path}: ${errorText(err)}` };
  } finally {
    await handle.close();
  }
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'a directory';
  return e.code ?? e.message;
}

/**
 * File names for backup stores. A terminal names its stores, and a terminal can be hostile or
 * broken, so its names are never used as paths: we map them to our own short, lowercase ASCII
 * names, and a manifest read back from disk may only name plain files inside its directory.
 */

const MAX_FILE_NAME = 40;
const MAX_PLAIN_NAME = 64;
const EXTENSION = '.cms';

/** Windows reserves these names in every directory, with or without an extension. */
const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$|clock\$)(\..*)?$/i;

/** Lowercase ASCII letters, digits and single dashes; anything else becomes a dash. */
function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // drop the accents NFKD split off, keep the letters
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `backupFileName(3, 'Journal')` is `03-journal.cms`. The index makes names unique however the
 * terminal names its stores; the rest is only a hint for people reading the directory.
 */
export function backupFileName(index: number, terminalStoreName: string): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`bad store index ${index}`);
  const prefix = `${String(index).padStart(2, '0')}-`;
  const room = MAX_FILE_NAME - prefix.length - EXTENSION.length;
  // Bound the input before normalising: a 10 MB name must not cost 10 MB of work.
  const stem = slug(terminalStoreName.slice(0, 256)).slice(0, room).replace(/-+$/, '');
  return `${prefix}${stem.length > 0 ? stem : 'store'}${EXTENSION}`;
}

/** The name a restored store gets: `03-journal.cms` becomes `03-journal.bin`. */
export function restoredFileName(backupFile: string): string {
  const base = backupFile.endsWith(EXTENSION) ? backupFile.slice(0, -EXTENSION.length) : backupFile;
  const stem = slug(base.slice(0, MAX_FILE_NAME)).slice(0, MAX_FILE_NAME).replace(/-+$/, '');
  if (stem.length === 0) return 'store.bin';
  // `con.bin` is still the console on Windows: a device name keeps a prefix that makes it a file.
  return DEVICE_NAME.test(stem) ? `store-${stem}.bin` : `${stem}.bin`;
}

/**
 * True for a name that can only mean a file directly inside the directory it is joined to, on
 * POSIX and Windows alike: no separators, no `..`, no leading dot, no drive or stream colon, no
 * control characters, no reserved device name, no trailing dot or space, at most 64 characters.
 */
export function isPlainBaseName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_PLAIN_NAME) return false;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return false; // also excludes / \ : NUL and controls
  if (name.includes('..') || name.endsWith('.')) return false;
  return !DEVICE_NAME.test(name);
}

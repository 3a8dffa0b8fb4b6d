import type { ResumeEvent } from './store-backup.js';

/** One line for the technician on how a cut-short backup goes on (no store content in it). */
export function resumeText(e: Exclude<ResumeEvent, { restartedBecause: string }>): string {
  const kept = `${e.parts} complete part(s) kept, up to byte ${e.offset}`;
  if (e.readFrom === e.offset) return `${kept}; reading on from there`;
  if (e.readFrom > e.offset)
    return `${kept} and the ${e.readFrom - e.offset} bytes received after it (sealed); reading on from byte ${e.readFrom}`;
  if (e.readFrom > 0)
    return `${kept}; reading on from byte ${e.readFrom} (the ${e.offset - e.readFrom} bytes before it only for the plaintext observers' look-back)`;
  const why = e.rereadBecause ?? e.dropped ?? 'no resume state';
  return `${kept}; the kept range is read again and checked (${why})`;
}

import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { AttestationInput } from '../../wipe/certificate/model.js';
import { sha256Of, type AttestationRequest } from '../attest-file.js';
import type { Journal, JournalEntry } from '../journal.js';

/**
 * The technician's attestations in the job: their evidence files copied into DIR/attestation/
 * (so the job directory carries what the certificate binds by digest), and the attestations
 * journaled (fsynced) before the first step, so `--resume` and the certificate see the same
 * ones. Copies get names of our own (NN-<name>), never a path from the file.
 */

export const ATTESTATION_DIR = 'attestation';

export async function journalAttestations(
  journal: Journal,
  dir: string,
  requests: AttestationRequest[],
): Promise<void> {
  if (requests.length === 0) return;
  const taken = journal.entries.filter((e) => e.type === 'attest').flatMap((e) => journaled(e));
  let n = taken.reduce((max, a) => Math.max(max, ...a.evidence.map((f) => numberOf(f.path))), 0);
  const attestations: AttestationInput[] = [];
  const known = new Set(taken.map(sameAs));
  for (const r of requests) {
    // The same --attest given again on --resume is already in the journal.
    if (known.has(sameAs({ ...r, evidence: r.evidence.map((f) => ({ ...f, path: '' })) }))) continue;
    const evidence = [];
    for (const f of r.evidence) {
      n += 1;
      const path = `${ATTESTATION_DIR}/${String(n).padStart(2, '0')}-${safeName(f.name)}`;
      await mkdir(join(dir, ATTESTATION_DIR), { recursive: true, mode: 0o700 });
      await copyFile(f.source, join(dir, path));
      // The file must be the one digested before the terminal was touched.
      if ((await sha256Of(join(dir, path))) !== f.sha256) {
        throw new PosdecomError(ErrorCode.UsageBadFile, `evidence ${f.name} changed while the job started`);
      }
      evidence.push({ name: f.name, path, size: f.size, sha256: f.sha256 });
    }
    attestations.push({
      step: r.step,
      ...(r.target === undefined ? {} : { target: r.target }),
      statement: r.statement,
      time: r.time,
      evidence,
    });
  }
  if (attestations.length > 0) journal.append('attest', { data: { attestations } });
}

function sameAs(a: {
  step: string;
  target?: string;
  statement: string;
  time: string;
  evidence: { sha256: string }[];
}): string {
  return JSON.stringify([a.step, a.target ?? null, a.statement, a.time, a.evidence.map((f) => f.sha256)]);
}

/** Every attestation journaled, in order (a later one for the same step and target counts). */
export function journaledAttestations(entries: JournalEntry[]): AttestationInput[] {
  return entries.filter((e) => e.type === 'attest').flatMap(journaled);
}

/** Whether the technician attested a step (and target): the workflow may go on past an UNKNOWN. */
export function isAttested(entries: JournalEntry[], step: string, target?: string): boolean {
  return journaledAttestations(entries).some((a) => a.step === step && a.target === target);
}

function journaled(e: JournalEntry): AttestationInput[] {
  const list = e.data?.attestations;
  return Array.isArray(list) ? (list as AttestationInput[]) : [];
}

function numberOf(path: string): number {
  return Number(/\/(\d+)-/.exec(path)?.[1] ?? 0);
}

/** Letters, digits, dot, dash, underscore; at most 100 characters; never a dot first. */
function safeName(name: string): string {
  const s = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(-100);
  return s === '' ? 'evidence' : s;
}

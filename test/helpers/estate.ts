import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estatePki, generateEstate, type GeneratedJob, type JobKind } from '../../bench/estate.js';
import type { OrganisationPki } from '../../wipe/pki/ca.js';

/**
 * A small estate for the `report` tests: real signed certificates (bench/estate.ts, the same
 * generator as the benchmark) telling every story, PDFs included so the HTML page has
 * something to link to.
 */
export const MIXED: JobKind[] = [
  'pass',
  'fail',
  'incomplete',
  'pass',
  'duplicate',
  'tampered',
  'truncated',
  'foreign',
  'no-signature',
  'pass',
  'rehearsal',
];

export interface TestEstate {
  /** Scratch directory holding pki/ and estate/. */
  dir: string;
  root: string;
  pki: OrganisationPki;
  jobs: GeneratedJob[];
  remove(): Promise<void>;
}

export async function makeEstate(
  prefix: string,
  kinds: JobKind[] = MIXED,
  o: { pdf?: boolean } = {},
): Promise<TestEstate> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const { pki, signer } = await estatePki(join(dir, 'pki'));
  const root = join(dir, 'estate');
  const jobs = await generateEstate(root, signer, kinds, { pdf: o.pdf ?? false });
  return { dir, root, pki, jobs, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The generated jobs of one story. */
export function ofKind(estate: TestEstate, kind: JobKind): GeneratedJob[] {
  return estate.jobs.filter((j) => j.kind === kind);
}

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalBytes } from '../wipe/certificate/canonical-json.js';
import { buildCertificate, technicianFromCertificate } from '../wipe/certificate/build.js';
import { CERTIFICATE_FILES } from '../wipe/certificate/files.js';
import type { CertificateInput, StepRecord, WipeCertificate } from '../wipe/certificate/model.js';
import { sampleCertificateInput } from '../wipe/certificate/sample.js';
import { signCertificate, type Signer } from '../wipe/certificate/sign.js';
import { createOrganisationPki, type OrganisationPki } from '../wipe/pki/ca.js';
import { loadPrivateKey } from '../wipe/pki/keys.js';

/**
 * A generated estate of job directories with real signed certificates (the demo PKI's
 * technician, RSA in node:crypto), for `report`'s tests and its benchmark. Each job is one
 * kind of story; the device, merchant and destination vary with the job's number.
 *
 *   pass, fail, incomplete   signed certificates whose steps end that way
 *   tampered                 one byte of certificate.json changed after signing
 *   truncated                certificate.p7s cut in half
 *   foreign                  a certificate.json that is some other program's JSON
 *   no-signature             certificate.json without certificate.p7s
 *   duplicate                a PASS for the serial of the job before it (decommissioned twice)
 *   rehearsal                a PASS of the built-in simulated terminal (a sim: port): no device
 */

export const JOB_KINDS = [
  'pass',
  'fail',
  'incomplete',
  'tampered',
  'truncated',
  'foreign',
  'no-signature',
  'duplicate',
  'rehearsal',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Where `report` must count each story. */
export const KIND_STATUS: Record<JobKind, 'PASS' | 'INCOMPLETE' | 'FAIL' | 'NOT VERIFIABLE'> = {
  pass: 'PASS',
  duplicate: 'PASS',
  rehearsal: 'PASS',
  fail: 'FAIL',
  incomplete: 'INCOMPLETE',
  tampered: 'NOT VERIFIABLE',
  truncated: 'NOT VERIFIABLE',
  foreign: 'NOT VERIFIABLE',
  'no-signature': 'NOT VERIFIABLE',
};

export interface GeneratedJob {
  dir: string;
  kind: JobKind;
  serial: string;
  model: string;
  /** The certificate as signed (before any tampering); absent for a foreign file. */
  certificate?: WipeCertificate;
}

const MODELS = ['KPS C420', 'KPS M230 Go', 'KPS U90 Reader'];
/** Work-order destinations and their NIST Appendix G categories (as the workflow maps them). */
const DESTINATIONS: [string, string][] = [
  ['return-to-provider', 'external reuse'],
  ['recycling', 'recycling facility'],
  ['internal-reuse', 'internal reuse'],
  ['destruction', 'other'],
];
// Quotes, commas, non-ASCII and a would-be spreadsheet formula: what CSV and HTML must survive.
const MERCHANTS = ['Café Example', 'Example Retail Ltd', 'Bäckerei "Zum Korn", Filiale 3', '=1+2 Kiosk <b>'];

/** Jobs are issued a minute apart from here; the estate's PKI is issued before it. */
const FIRST_JOB = Date.parse('2026-01-05T08:00:00.000Z');
const PKI_ISSUED = new Date('2026-01-01T00:00:00.000Z');
/** The estate PKI's key passphrase (tests revoke and issue with it). */
export const ESTATE_PASSPHRASE = 'posdecom-estate';
const PASSPHRASE = ESTATE_PASSPHRASE;

/** A demo organisation PKI (createOrganisationPki, as `posdecom demo` makes) valid for every job. */
export async function estatePki(dir: string): Promise<{ pki: OrganisationPki; signer: Signer }> {
  const pki = await createOrganisationPki(dir, {
    passphrase: PASSPHRASE,
    technicianName: 'Estate Technician',
    technicianEmail: 'estate@example.org',
    org: 'Estate Services Ltd',
    // The key files only need to open; what is measured is the report, not the KDF.
    iterations: 1000,
    now: PKI_ISSUED,
  });
  return { pki, signer: await estateSigner(pki) };
}

export async function estateSigner(pki: {
  technicianKeyPath: string;
  technicianCertPem: string;
  caCertPem: string;
}): Promise<Signer> {
  const keyObject = await loadPrivateKey(pki.technicianKeyPath, PASSPHRASE);
  return { keyObject, certPem: pki.technicianCertPem, chainPems: [pki.caCertPem] };
}

/** The story of job `i` in a benchmark-sized estate: mostly PASS, every bad kind mixed in. */
export function mixedKind(i: number): JobKind {
  if (i % 250 === 17) return 'tampered';
  if (i % 250 === 41) return 'truncated';
  if (i % 500 === 99) return 'foreign';
  if (i % 500 === 199) return 'no-signature';
  if (i % 250 === 77) return 'duplicate';
  if (i % 20 === 3) return 'fail';
  if (i % 20 === 11) return 'incomplete';
  return 'pass';
}

/**
 * Writes one job directory per kind under `root` (three levels deep, as technicians file them);
 * `kinds[k]` is the story of job number `first + k`.
 */
export async function generateEstate(
  root: string,
  signer: Signer,
  kinds: JobKind[],
  o: { pdf?: boolean; first?: number } = {},
): Promise<GeneratedJob[]> {
  const technician = technicianFromCertificate(signer.certPem);
  const jobs: GeneratedJob[] = [];
  const first = o.first ?? 0;
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k]!;
    const i = first + k;
    const dir = join(root, `technician-${i % 7}`, `week-${Math.floor(i / 100)}`, `job-${i}`);
    await mkdir(dir, { recursive: true });
    const model = MODELS[i % MODELS.length]!;
    if (kind === 'foreign') {
      await writeFile(join(dir, CERTIFICATE_FILES.json), JSON.stringify({ invoice: i, total: '12.00' }));
      jobs.push({ dir, kind, serial: '', model });
      continue;
    }
    const serial = serialFor(kind === 'duplicate' ? i - 1 : i);
    const input = jobInput(technician, i, serial, model, kind);
    const certificate = buildCertificate(input);
    const json = canonicalBytes(certificate);
    const p7s = signCertificate(json, { ...signer, signingTime: new Date(certificate.issuedAt) });
    const written = kind === 'tampered' ? tamper(json) : json;
    await writeFile(join(dir, CERTIFICATE_FILES.json), written);
    if (kind !== 'no-signature') {
      const sig = kind === 'truncated' ? p7s.subarray(0, p7s.length >> 1) : p7s;
      await writeFile(join(dir, CERTIFICATE_FILES.signature), sig);
    }
    if (o.pdf) {
      const { renderCertificatePdf } = await import('../wipe/certificate/pdf/render.js');
      const digest = createHash('sha256').update(json).digest('hex');
      await writeFile(join(dir, CERTIFICATE_FILES.pdf), await renderCertificatePdf(certificate, digest));
    }
    jobs.push({ dir, kind, serial, model, certificate });
  }
  return jobs;
}

function jobInput(
  technician: CertificateInput['technician'],
  i: number,
  serial: string,
  model: string,
  kind: JobKind,
): CertificateInput {
  const input = sampleCertificateInput(technician);
  const issued = FIRST_JOB + i * 60_000;
  // A real estate: terminals reached over a serial cable, not the built-in simulator.
  input.device = {
    ...input.device,
    vendor: 'Kestrel Payment Systems',
    model,
    serial,
    tidBefore: tid(i),
    location: `Store ${i % 40}, till ${(i % 3) + 1}`,
    transport: kind === 'rehearsal' ? 'sim' : 'serial',
    simulated: kind === 'rehearsal',
  };
  input.workOrder = {
    ...input.workOrder,
    id: `WO-2026-${String(i).padStart(5, '0')}`,
    owner: MERCHANTS[i % MERCHANTS.length]!,
    reason: i % 5 === 0 ? 'device-fault-or-replacement' : 'end-of-lease',
  };
  const [destination, category] = DESTINATIONS[i % DESTINATIONS.length]!;
  input.destination = { kind: destination, category, details: null };
  input.certificateId = uuidFor(i);
  input.issuedAt = new Date(issued);
  input.steps = input.steps.map((s) => outcome(s, kind));
  return input;
}

/** FAIL: the saf store's erase verification found data. INCOMPLETE: key zeroization unmeasured. */
function outcome(step: StepRecord, kind: JobKind): StepRecord {
  if (kind === 'fail' && step.step === 'erase-verification' && step.target === 'saf') {
    return { ...step, result: 'FAIL', note: 'read-back found 12 non-zero blocks' };
  }
  if (kind === 'incomplete' && step.step === 'key-zeroization') {
    return { ...step, result: 'UNKNOWN', note: 'the terminal did not answer KEYS after ZEROIZE' };
  }
  return step;
}

/** One changed byte inside the JSON (a digit of the serial's store number), still valid JSON. */
function tamper(json: Buffer): Buffer {
  const copy = Buffer.from(json);
  const at = copy.indexOf('"location":"Store ') + '"location":"Store '.length;
  copy[at] = copy[at] === 0x39 ? 0x38 : (copy[at] ?? 0x30) + 1;
  return copy;
}

/** A duplicate names the serial of the job before it, so ranges can be generated apart. */
function serialFor(i: number): string {
  return `KC4-${String(100000 + i).padStart(6, '0')}`;
}

function tid(i: number): string {
  return String(40000000 + i).slice(0, 8);
}

function uuidFor(i: number): string {
  const h = createHash('sha256').update(`estate job ${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

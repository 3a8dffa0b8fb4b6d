import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { STEP_NAMES, type StepName } from '../wipe/certificate/model.js';

/**
 * `decommission --attest FILE`: what the technician did by hand where the tool cannot measure
 * (NFC switched off in the terminal's own menu, the SIM taken out), with optional evidence
 * files (photos). The file is read and every evidence file digested before the terminal is
 * touched; anything wrong is a one-line usage error naming the entry and field (exit 2).
 *
 *   [{"step": "disable-acceptance", "target": "nfc", "statement": "...", "time": "2026-12-07T09:12:00+01:00",
 *     "evidence": ["photos/nfc-menu.jpg"]}]
 *
 * Evidence paths are relative to the attestation file. `serial` names the terminal an entry is
 * for; it is required when one run decommissions several terminals.
 */

export interface EvidenceSource {
  /** The file's own name (no directories). */
  name: string;
  /** Absolute path of the technician's file. */
  source: string;
  size: number;
  sha256: string;
}

export interface AttestationRequest {
  step: StepName;
  target?: string;
  serial?: string;
  statement: string;
  /** UTC ISO 8601. */
  time: string;
  evidence: EvidenceSource[];
}

/** A photo is a few MB; a video of the whole job is not evidence for one step. */
export const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 64;

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['step', 'statement', 'time'],
  properties: {
    step: { enum: STEP_NAMES },
    target: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
    serial: { type: 'string', minLength: 1, maxLength: 64 },
    statement: { type: 'string', minLength: 1, maxLength: 2000 },
    time: { type: 'string', minLength: 1, maxLength: 40 },
    evidence: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 1024 } },
  },
} as const;
const fileSchema = {
  oneOf: [entrySchema, { type: 'array', minItems: 1, maxItems: MAX_ENTRIES, items: entrySchema }],
} as const;

let validate: ReturnType<Ajv['compile']> | undefined;

function usage(message: string): never {
  throw new PosdecomError(ErrorCode.UsageBadFile, message);
}

function describe(path: string, errors: ErrorObject[] | null | undefined): string {
  const e = [...(errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  if (!e) return `attestation file ${path} is not valid`;
  const parts = e.instancePath.split('/').filter(Boolean);
  const where = /^\d+$/.test(parts[0] ?? '') ? `entry ${Number(parts.shift()) + 1}` : 'entry 1';
  const field = parts.join('.');
  const subject = `attestation file ${path}, ${where}${field ? `: ${field}` : ''}`;
  if (e.keyword === 'required') return `${subject}: ${String(e.params.missingProperty)} is missing`;
  if (e.keyword === 'additionalProperties')
    return `${subject}: unknown field ${String(e.params.additionalProperty)}`;
  if (e.keyword === 'enum') return `${subject} must be one of ${STEP_NAMES.join(', ')}`;
  return `${subject} ${e.message ?? 'is invalid'}`;
}

/** Normalises an ISO 8601 time with a zone to UTC; a time in the future is refused. */
function utc(text: string, where: string, now: Date): string {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  const ms = Date.parse(text);
  if (!iso.test(text) || !Number.isFinite(ms))
    usage(`${where}: time must be ISO 8601 with a zone, e.g. 2026-12-07T09:12:00+01:00`);
  // A few minutes of grace for a laptop clock that is a little behind the technician's watch.
  if (ms > now.getTime() + 5 * 60_000) usage(`${where}: time ${text} is in the future`);
  return new Date(ms).toISOString();
}

export async function readAttestations(path: string, now = new Date()): Promise<AttestationRequest[]> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    usage(`cannot read attestation file ${path}: ${code ?? (err as Error).message}`);
  }
  validate ??= new Ajv({ allErrors: true }).compile(fileSchema);
  if (!validate(data)) usage(describe(path, validate.errors));
  const entries = (Array.isArray(data) ? data : [data]) as {
    step: StepName;
    target?: string;
    serial?: string;
    statement: string;
    time: string;
    evidence?: string[];
  }[];
  const out: AttestationRequest[] = [];
  for (const [i, e] of entries.entries()) {
    const where = `attestation file ${path}, entry ${i + 1}`;
    if (e.statement.trim() === '') usage(`${where}: statement is empty`);
    const evidence: EvidenceSource[] = [];
    for (const rel of e.evidence ?? []) evidence.push(await digestEvidence(path, rel, where));
    out.push({
      step: e.step,
      ...(e.target === undefined ? {} : { target: e.target }),
      ...(e.serial === undefined ? {} : { serial: e.serial }),
      statement: e.statement,
      time: utc(e.time, where, now),
      evidence,
    });
  }
  return out;
}

async function digestEvidence(file: string, rel: string, where: string): Promise<EvidenceSource> {
  if (isAbsolute(rel)) usage(`${where}: evidence ${rel} must be relative to the attestation file`);
  const source = resolve(dirname(file), rel);
  let size: number;
  try {
    const st = statSync(source);
    if (!st.isFile()) usage(`${where}: evidence ${rel} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof PosdecomError) throw err;
    usage(`${where}: cannot read evidence ${rel}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (size > MAX_EVIDENCE_BYTES) usage(`${where}: evidence ${rel} is larger than 64 MiB`);
  return { name: basename(source), source, size, sha256: await sha256Of(source) };
}

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks the entries against the run before the terminal is touched: with several terminals
 * every entry names its serial, and a serial must be one a work order names. The job keeps the
 * entries for the serial it finds (or naming none).
 */
export function checkAttestationSerials(
  all: AttestationRequest[],
  serials: string[],
  terminals: number,
): void {
  for (const a of all) {
    if (a.serial === undefined && terminals > 1)
      usage(`--attest with several terminals: every entry must name its terminal's serial (${a.step})`);
    if (a.serial !== undefined && !serials.includes(a.serial))
      usage(`--attest names serial ${a.serial}, which no work order names`);
  }
}

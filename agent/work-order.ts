import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';

/**
 * The work order: why this terminal is being retired, by whom, where it goes next, and the
 * decommission authority code the terminal checks (README: Work order). A file holds one
 * work order, or `{"workOrders": [...]}` for several terminals matched by serial number.
 */
export const REASONS = [
  'business-change',
  'device-fault-or-replacement',
  'end-of-lease',
  'compliance',
] as const;
export const DESTINATIONS = ['return-to-provider', 'internal-reuse', 'recycling', 'destruction'] as const;

export interface WorkOrder {
  id: string;
  terminal: {
    serial: string;
    model?: string;
    tid?: string;
    mid?: string;
    /** NIST Appendix G "media property number". */
    assetTag?: string;
    /** Appendix G "source": whose device, where it came from (default: the owner's merchant name). */
    source?: string;
    /** Appendix G "classification" of the data on the device, where the owner classifies. */
    classification?: string;
  };
  reason: (typeof REASONS)[number];
  owner: { merchant: string; location: string };
  technician: { name: string; organisation: string; contact: string; title?: string; phone?: string };
  /** Where the sanitization takes place (Appendix G person's "location"). */
  sanitizationLocation?: string;
  destination: (typeof DESTINATIONS)[number];
  /** Appendix G destination details: who receives the device, where. */
  destinationDetails?: string;
  /** Where the encrypted backup will be kept once the job is done. */
  backupLocation?: string;
  postSanitizationClassification?: string;
  /**
   * Line protocol: the decommission authority code the terminal checks, as `code` or `codeEnv`.
   * A ZVT job needs none (ZVT has no such check; the terminal's password authorizes): the
   * reference still names the authority in the certificate.
   */
  authority: { reference: string; code?: string; codeEnv?: string };
  /** ZVT: the terminal's 6-digit password, as `password` or, better, `passwordEnv`. */
  zvt?: { password?: string; passwordEnv?: string };
}

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const ENV_NAME = { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,63}$' } as const;

const workOrderSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'terminal', 'reason', 'owner', 'technician', 'destination', 'authority'],
  properties: {
    id: text(64),
    terminal: {
      type: 'object',
      additionalProperties: false,
      required: ['serial'],
      properties: {
        serial: text(64),
        model: text(64),
        tid: text(32),
        mid: text(32),
        assetTag: text(64),
        source: text(256),
        classification: text(64),
      },
    },
    reason: { enum: REASONS },
    owner: {
      type: 'object',
      additionalProperties: false,
      required: ['merchant', 'location'],
      properties: { merchant: text(128), location: text(256) },
    },
    technician: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'organisation', 'contact'],
      properties: {
        name: text(128),
        organisation: text(128),
        contact: text(128),
        title: text(128),
        phone: { type: 'string', pattern: '^[0-9+()./ -]{3,32}$' },
      },
    },
    sanitizationLocation: text(256),
    destination: { enum: DESTINATIONS },
    destinationDetails: text(256),
    backupLocation: text(256),
    postSanitizationClassification: text(64),
    authority: {
      type: 'object',
      additionalProperties: false,
      required: ['reference'],
      properties: {
        reference: text(128),
        code: text(256),
        codeEnv: ENV_NAME,
      },
      not: { type: 'object', required: ['code', 'codeEnv'] },
    },
    zvt: {
      type: 'object',
      additionalProperties: false,
      properties: { password: { type: 'string', pattern: '^[0-9]{6}$' }, passwordEnv: ENV_NAME },
      oneOf: [
        { type: 'object', required: ['password'] },
        { type: 'object', required: ['passwordEnv'] },
      ],
    },
  },
  // Without a ZVT password the authority code is how the terminal is authorized: it is required.
  anyOf: [
    { required: ['zvt'] },
    {
      properties: {
        authority: {
          anyOf: [
            { type: 'object', required: ['code'] },
            { type: 'object', required: ['codeEnv'] },
          ],
        },
      },
    },
  ],
} as const;

const fileSchema = {
  oneOf: [
    workOrderSchema,
    {
      type: 'object',
      additionalProperties: false,
      required: ['workOrders'],
      properties: { workOrders: { type: 'array', minItems: 1, maxItems: 256, items: workOrderSchema } },
    },
  ],
} as const;

let validateFile: ReturnType<Ajv['compile']> | undefined;

function describeAjvError(errors: ErrorObject[] | null | undefined): string {
  // oneOf reports every branch; the most specific (deepest) error names the field best.
  const e = [...(errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  if (!e) return 'is not a valid work order';
  const field = e.instancePath === '' ? 'the top level' : e.instancePath.slice(1).replace(/\//g, '.');
  const missing = e.keyword === 'required' ? String(e.params.missingProperty) : '';
  if (field.endsWith('authority') && (missing === 'code' || missing === 'codeEnv'))
    return `${field} needs code or codeEnv (a ZVT work order gives zvt.passwordEnv instead)`;
  if (field.endsWith('zvt') && (missing === 'password' || missing === 'passwordEnv'))
    return `${field} needs exactly one of password or passwordEnv`;
  if (e.keyword === 'required')
    return `${field === 'the top level' ? '' : field + '.'}${String(e.params.missingProperty)} is missing`;
  if (e.keyword === 'additionalProperties')
    return `${field} has an unknown field ${String(e.params.additionalProperty)}`;
  if (e.keyword === 'enum')
    return `${field} must be one of ${(e.params.allowedValues as string[]).join(', ')}`;
  if ((e.keyword === 'not' || e.keyword === 'anyOf') && field.endsWith('authority'))
    return `${field} needs exactly one of code or codeEnv (a ZVT work order may give zvt.passwordEnv instead)`;
  if (e.keyword === 'oneOf' && field.endsWith('zvt'))
    return `${field} needs exactly one of password or passwordEnv`;
  if (e.keyword === 'pattern' && field.endsWith('zvt.password')) return `${field} must be 6 digits`;
  if (e.keyword === 'pattern' && field.endsWith('phone'))
    return `${field} must be a phone number (digits, spaces and + ( ) . / -)`;
  return `${field} ${e.message ?? 'is invalid'}`;
}

export function parseWorkOrders(json: string, source: string): WorkOrder[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `work order ${source} is not JSON: ${(err as Error).message}`,
    );
  }
  validateFile ??= new Ajv({ allErrors: true }).compile(fileSchema);
  if (!validateFile(data)) {
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `work order ${source}: ${describeAjvError(validateFile.errors)}`,
    );
  }
  const list =
    'workOrders' in (data as object) ? (data as { workOrders: WorkOrder[] }).workOrders : [data as WorkOrder];
  const serials = new Set<string>();
  for (const w of list) {
    if (serials.has(w.terminal.serial)) {
      throw new PosdecomError(
        ErrorCode.UsageBadFile,
        `work order ${source} lists serial ${w.terminal.serial} twice`,
      );
    }
    serials.add(w.terminal.serial);
  }
  return list;
}

export function readWorkOrders(path: string): WorkOrder[] {
  let json: string;
  try {
    json = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `cannot read work order ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  return parseWorkOrders(json, path);
}

/**
 * What the job authorizes with: the authority code (line) or the terminal's ZVT password.
 * Either stays out of every log, transcript and record; only the authority reference is printed.
 */
export function credentialFor(w: WorkOrder, protocol: 'line' | 'zvt'): string {
  if (protocol === 'line') return authorityCode(w);
  const z = w.zvt;
  if (!z) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `work order ${w.id}: a ZVT job needs the terminal's password (zvt.passwordEnv or zvt.password)`,
    );
  }
  if (z.password !== undefined) return z.password;
  const value = process.env[z.passwordEnv!];
  if (!value || !/^\d{6}$/.test(value)) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `work order ${w.id}: environment variable ${z.passwordEnv!} (ZVT password) is ${value ? 'not 6 digits' : 'not set'}`,
    );
  }
  return value;
}

/** The authority code stays out of every log and record; only the reference is printed. */
export function authorityCode(w: WorkOrder): string {
  if (w.authority.code !== undefined) return w.authority.code;
  const name = w.authority.codeEnv;
  if (name === undefined) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `work order ${w.id}: authority.code or authority.codeEnv is needed for a line-protocol job`,
    );
  }
  const value = process.env[name];
  if (!value) {
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `work order ${w.id}: environment variable ${name} (authority code) is not set`,
    );
  }
  return value;
}

/**
 * A ready work order for a simulated terminal, with its authority code in clear (a simulator's
 * code protects nothing): `simulate --work-order-out` and the simulator library hand it out.
 */
export function simulatedWorkOrder(terminal: {
  identity: { serial: string; model: string };
  authorityCode: string;
}): WorkOrder {
  const id = terminal.identity;
  return {
    id: `WO-SIM-${id.serial}`,
    terminal: { serial: id.serial, model: id.model },
    reason: 'end-of-lease',
    owner: { merchant: 'Simulated Merchant', location: 'Test bench' },
    technician: { name: 'Test Technician', organisation: 'Test Estate', contact: 'tech@example.org' },
    destination: 'recycling',
    authority: { reference: `SIM-AUTH-${id.serial}`, code: terminal.authorityCode },
  };
}

/**
 * manifest.json: what a backup directory holds and how to check it. It is written atomically after
 * every store (so a crash leaves the last consistent state) and, when read back, treated as
 * untrusted input: the directory may come from anywhere, and its file names become paths.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { errnoCode, writeFileAtomic } from './atomic-file.js';
import type { RecipientInfoSummary } from '../cms/recipient.js';
import { MAX_PARTS, type BackupPart } from './parts.js';
import { isPlainBaseName } from './safe-name.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'posdecom-backup/2';
/** Written before stores had parts: each store is its one `file`. Still read. */
const MANIFEST_FORMAT_1 = 'posdecom-backup/1';

export interface ManifestStore {
  name: string;
  file: string;
  kind: string;
  size: number;
  records: number;
  cardData: boolean;
  terminalSha256: string;
  receivedSha256: string;
  /**
   * The store's `file` digest; for a store in several parts, SHA-256 over the part files in order
   * (`cat NN-name.p*.cms | sha256sum`).
   */
  ciphertextSha256: string;
  /** The files holding the store, in order (one for a store no larger than a part). */
  parts: BackupPart[];
  status: 'ok' | 'failed';
  error?: string;
  startedAt: string;
  finishedAt: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  tool: { name: string; version: string };
  createdAt: string;
  updatedAt: string;
  terminal: { vendor: string; model: string; serial: string; firmware: string };
  encryption: {
    container: string;
    contentEncryption: string;
    keyTransport: string;
    recipient: RecipientInfoSummary;
  };
  stores: ManifestStore[];
}

const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
const MAX_STORES = 10_000;
const MAX_TEXT = 4096;
const SHA256 = /^[0-9a-f]{64}$/;

export async function writeManifest(
  dir: string,
  m: BackupManifest,
): Promise<{ path: string; sha256: string }> {
  let checked: BackupManifest;
  try {
    checked = validateManifest(m); // never write what readManifest would refuse
  } catch (err) {
    const why = err instanceof Invalid ? err.message : 'invalid';
    throw new PosdecomError(ErrorCode.BackupFailed, `refusing to write an invalid backup manifest: ${why}`);
  }
  const bytes = Buffer.from(JSON.stringify(checked, null, 2) + '\n', 'utf8');
  const path = join(dir, MANIFEST_FILE);
  await writeFileAtomic(path, bytes);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export async function readManifest(dir: string): Promise<{ manifest: BackupManifest; sha256: string }> {
  const path = join(dir, MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? 'not found' : `cannot be read (${errnoCode(err) ?? 'error'})`;
    throw new PosdecomError(ErrorCode.UsageBadFile, `backup manifest ${path} ${why}`, { cause: err });
  }
  if (bytes.length > MAX_MANIFEST_BYTES) throw bad(path, 'file is too large to be a manifest');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad(path, 'not valid JSON');
  }
  try {
    return { manifest: validateManifest(parsed), sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    throw bad(path, err instanceof Invalid ? err.message : 'invalid');
  }
}

function bad(path: string, why: string): PosdecomError {
  return new PosdecomError(ErrorCode.UsageBadFile, `backup manifest ${path}: ${why}`);
}

class Invalid extends Error {}

type Obj = Record<string, unknown>;

function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(`${at} must be an object`);
  return v as Obj;
}

function text(o: Obj, key: string, at: string, pattern?: RegExp): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > MAX_TEXT) throw new Invalid(`${at}.${key} must be a string`);
  if (pattern !== undefined && !pattern.test(v)) throw new Invalid(`${at}.${key} is malformed`);
  return v;
}

function count(o: Obj, key: string, at: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Invalid(`${at}.${key} must be a non-negative integer`);
  }
  return v;
}

function part(v: unknown, at: string): BackupPart {
  const o = obj(v, at);
  if (!isPlainBaseName(o.file) || !o.file.endsWith('.cms'))
    throw new Invalid(`${at}.file is not a plain .cms file name`);
  return {
    file: o.file,
    offset: count(o, 'offset', at),
    length: count(o, 'length', at),
    plaintextSha256: text(o, 'plaintextSha256', at, SHA256),
    ciphertextSha256: text(o, 'ciphertextSha256', at, SHA256),
  };
}

/** An ok store's parts: contiguous from 0 to its size; a v1 store is its one file. */
function parts(o: Obj, at: string, s: Omit<ManifestStore, 'parts'>, v1: boolean): BackupPart[] {
  if (v1 || o.parts === undefined) {
    if (s.status !== 'ok') return [];
    return [
      {
        file: s.file,
        offset: 0,
        length: s.size,
        plaintextSha256: s.receivedSha256,
        ciphertextSha256: s.ciphertextSha256,
      },
    ];
  }
  if (!Array.isArray(o.parts) || o.parts.length > MAX_PARTS) throw new Invalid(`${at}.parts must be a list`);
  const list = o.parts.map((p, i) => part(p, `${at}.parts[${i}]`));
  if (s.status !== 'ok') return list;
  let next = 0;
  for (const p of list) {
    if (p.offset !== next) throw new Invalid(`${at}.parts do not follow each other`);
    next += p.length;
  }
  if (next !== s.size || list.length === 0)
    throw new Invalid(`${at}.parts do not add up to the store's size`);
  if (list.length === 1 && (list[0]!.file !== s.file || list[0]!.ciphertextSha256 !== s.ciphertextSha256))
    throw new Invalid(`${at}: a store in one part is its file`);
  return list;
}

function store(v: unknown, at: string, v1: boolean): ManifestStore {
  const o = obj(v, at);
  const status = o.status;
  if (status !== 'ok' && status !== 'failed') throw new Invalid(`${at}.status must be "ok" or "failed"`);
  // Only our own `NN-name.cms` shape: restored `.bin` names can then never collide with an input.
  if (!isPlainBaseName(o.file) || !o.file.endsWith('.cms'))
    throw new Invalid(`${at}.file is not a plain .cms file name`);
  if (typeof o.cardData !== 'boolean') throw new Invalid(`${at}.cardData must be true or false`);
  // A store marked ok must carry three real digests. A failed one records whatever there was
  // (even a malformed digest from a broken terminal is evidence), as bounded text.
  const digest = status === 'ok' ? SHA256 : undefined;
  const s: Omit<ManifestStore, 'parts'> & { error?: string } = {
    name: text(o, 'name', at),
    file: o.file,
    kind: text(o, 'kind', at),
    size: count(o, 'size', at),
    records: count(o, 'records', at),
    cardData: o.cardData,
    terminalSha256: text(o, 'terminalSha256', at, digest),
    receivedSha256: text(o, 'receivedSha256', at, digest),
    ciphertextSha256: text(o, 'ciphertextSha256', at, digest),
    status,
    startedAt: text(o, 'startedAt', at),
    finishedAt: text(o, 'finishedAt', at),
  };
  if (o.error !== undefined) s.error = text(o, 'error', at);
  const { error, ...rest } = s;
  return { ...rest, parts: parts(o, at, s, v1), ...(error !== undefined ? { error } : {}) };
}

/** Returns a clean copy holding only the known fields, or throws Invalid naming the first problem. */
function validateManifest(v: unknown): BackupManifest {
  const m = obj(v, 'manifest');
  const v1 = m.format === MANIFEST_FORMAT_1;
  if (m.format !== MANIFEST_FORMAT && !v1) {
    throw new Invalid(
      `unknown format ${JSON.stringify(m.format)?.slice(0, 80)}, expected ${MANIFEST_FORMAT}`,
    );
  }
  const tool = obj(m.tool, 'tool');
  const terminal = obj(m.terminal, 'terminal');
  const enc = obj(m.encryption, 'encryption');
  const rec = obj(enc.recipient, 'encryption.recipient');
  if (!Array.isArray(m.stores) || m.stores.length > MAX_STORES) throw new Invalid('stores must be a list');
  const stores = m.stores.map((s, i) => store(s, `stores[${i}]`, v1));
  const seen = new Set<string>();
  for (const s of stores) {
    const names = new Set([s.file, ...s.parts.map((p) => p.file)]);
    for (const name of names) {
      const key = name.toLowerCase(); // case-insensitive file systems would merge these
      if (seen.has(key)) throw new Invalid(`file ${name} is listed twice`);
      seen.add(key);
    }
  }
  return {
    format: MANIFEST_FORMAT,
    tool: { name: text(tool, 'name', 'tool'), version: text(tool, 'version', 'tool') },
    createdAt: text(m, 'createdAt', 'manifest'),
    updatedAt: text(m, 'updatedAt', 'manifest'),
    terminal: {
      vendor: text(terminal, 'vendor', 'terminal'),
      model: text(terminal, 'model', 'terminal'),
      serial: text(terminal, 'serial', 'terminal'),
      firmware: text(terminal, 'firmware', 'terminal'),
    },
    encryption: {
      container: text(enc, 'container', 'encryption'),
      contentEncryption: text(enc, 'contentEncryption', 'encryption'),
      keyTransport: text(enc, 'keyTransport', 'encryption'),
      recipient: {
        subject: text(rec, 'subject', 'encryption.recipient'),
        serialNumber: text(rec, 'serialNumber', 'encryption.recipient'),
        sha256Fingerprint: text(rec, 'sha256Fingerprint', 'encryption.recipient'),
      },
    },
    stores,
  };
}

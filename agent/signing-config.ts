import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { getPassphrase } from '../wipe/pki/passphrase.js';
import { loadPrivateKey } from '../wipe/pki/keys.js';
import { splitPem, type Signer } from '../wipe/certificate/sign.js';

/** Where the signing identity and the backup recipient come from: flags, or a config file. */
export interface KeyPaths {
  backupRecipient?: string;
  signKey?: string;
  signCert?: string;
  chain?: string;
}

export function readKeyConfig(configPath: string): KeyPaths {
  const fromFile: KeyPaths = {};
  try {
    const data = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    const base = dirname(resolve(configPath));
    for (const k of ['backupRecipient', 'signKey', 'signCert', 'chain'] as const) {
      const v = data[k];
      if (v !== undefined && typeof v !== 'string') throw new Error(`${k} must be a path`);
      if (typeof v === 'string') fromFile[k] = resolve(base, v);
    }
  } catch (err) {
    throw new PosdecomError(ErrorCode.UsageBadFile, `--config ${configPath}: ${(err as Error).message}`);
  }
  return fromFile;
}

export function resolveKeyPaths(flags: KeyPaths, configPath: string | undefined): Required<KeyPaths> {
  const fromFile = configPath ? readKeyConfig(configPath) : {};
  const merged = {
    ...fromFile,
    ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
  } as KeyPaths;
  const missing = (['backupRecipient', 'signKey', 'signCert', 'chain'] as const).filter((k) => !merged[k]);
  if (missing.length > 0) {
    const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      `missing ${missing.map(flag).join(', ')} (or name them in --config)`,
    );
  }
  return merged as Required<KeyPaths>;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** `passphrase` given by a library caller; otherwise POSDECOM_KEY_PASSPHRASE or a prompt. */
export async function loadSignerFrom(paths: Required<KeyPaths>, passphrase?: string): Promise<Signer> {
  const certPem = readPem(paths.signCert, 'signing certificate');
  const chainPems = splitPem(readPem(paths.chain, 'certificate chain'));
  if (chainPems.length === 0)
    throw new PosdecomError(ErrorCode.UsageBadFile, `${paths.chain} holds no certificate`);
  readPem(paths.signKey, 'signing key');
  const keyObject = await loadPrivateKey(
    paths.signKey,
    passphrase ?? (await getPassphrase('technician signing key', { role: 'sign' })),
  );
  return { keyObject, certPem, chainPems };
}

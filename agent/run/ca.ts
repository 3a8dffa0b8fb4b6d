import { ErrorCode, isPosdecomError } from '../../protocol/errors.js';
import type { RsaBits } from '../../wipe/pki/keys.js';
import { getPassphrase, type KeyRole, type PassphraseOptions } from '../../wipe/pki/passphrase.js';
import { initCa, issueRecipient, issueTechnician, loadCa } from '../../wipe/pki/ca.js';
import { publishCrl, revoke } from './ca-revocation.js';
import { describeError } from '../errors-text.js';
import { ExitCode } from '../exit-codes.js';

export type CaAction = 'init' | 'issue' | 'issue-recipient' | 'revoke' | 'crl';

export interface CaArgs {
  action: CaAction;
  out?: string;
  ca?: string;
  name?: string;
  email?: string;
  org?: string;
  cert?: string;
  reason?: string;
  days: number;
  'key-bits': number;
}

/** Where output and passphrases come from; tests replace them, the CLI uses the process's. */
export interface CaIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  passphrase?: PassphraseOptions;
}

/**
 * `posdecom ca init|issue|issue-recipient|revoke|crl`. A wrong CA passphrase or a damaged key file is the
 * caller's to fix, so it exits 2 (usage), not 10 (which means a certificate failed to verify).
 */
export async function runCa(args: CaArgs, io: CaIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const ask = (purpose: string, role: KeyRole, confirm = false) =>
    getPassphrase(purpose, { ...io.passphrase, role, confirm });
  const keyBits = args['key-bits'] as RsaBits;
  let written: string[] = [];
  let lines: string[] = [];
  try {
    if (args.action === 'init') {
      const passphrase = await ask('new CA key', 'ca', true);
      const r = await initCa(required(args.out), { passphrase, organisation: required(args.org), keyBits });
      written = [r.certPath, r.keyPath];
    } else if (args.action === 'revoke') {
      lines = await revoke(required(args.ca), required(args.cert), required(args.reason));
    } else if (args.action === 'crl') {
      const ca = await loadCa(required(args.ca), await ask('CA key', 'ca'));
      lines = await publishCrl(ca, required(args.ca), required(args.out), args.days);
    } else {
      const ca = await loadCa(required(args.ca), await ask('CA key', 'ca'));
      const passphrase =
        args.action === 'issue'
          ? await ask('new technician key', 'sign', true)
          : await ask('new backup recipient key', 'recipient', true);
      const common = {
        passphrase,
        name: required(args.name),
        keyBits,
        ...(args.org ? { organisation: args.org } : {}),
      };
      if (args.action === 'issue') {
        const r = await issueTechnician(ca, required(args.out), { ...common, email: required(args.email) });
        written = [r.certPath, r.keyPath, r.chainPath];
      } else {
        const r = await issueRecipient(ca, required(args.out), common);
        written = [r.certPath, r.keyPath];
      }
    }
  } catch (e) {
    if (!isPosdecomError(e) || !USAGE_CODES.has(e.code)) throw e;
    err.write(`posdecom: ${describeError(e)}\n`);
    return ExitCode.Usage;
  }
  for (const path of written) out.write(`wrote ${path}\n`);
  for (const line of lines) out.write(`${line}\n`);
  if (args.action === 'init')
    out.write('Keep ca.key.pem offline; give ca.crt.pem to whoever verifies certificates.\n');
  return ExitCode.Success;
}

const USAGE_CODES = new Set<ErrorCode>([
  ErrorCode.UsageInvalid,
  ErrorCode.UsageBadFile,
  ErrorCode.KeyUnusable,
]);

function required(value: string | undefined): string {
  // yargs' check() has already insisted on these; this only narrows the type.
  if (value === undefined) throw new Error('missing option');
  return value;
}

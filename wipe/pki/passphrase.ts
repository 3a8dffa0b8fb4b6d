import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

/**
 * Key passphrases come from the environment or from a no-echo prompt on the terminal, never
 * from a flag: flag values land in shell history and in `ps` output for every user to read.
 * The passphrase is never written anywhere, not even in an error message.
 */

export const PASSPHRASE_ENV = 'POSDECOM_KEY_PASSPHRASE';

/**
 * One variable per key role, so a passphrase set for one key never protects another: with only
 * POSDECOM_CA_PASSPHRASE set, `ca issue` cannot quietly encrypt the new technician key with the
 * CA's passphrase. POSDECOM_KEY_PASSPHRASE is only a fallback for opening an existing key.
 */
export type KeyRole = 'ca' | 'sign' | 'recipient';
export const ROLE_ENV: Readonly<Record<KeyRole, string>> = Object.freeze({
  ca: 'POSDECOM_CA_PASSPHRASE',
  sign: 'POSDECOM_SIGN_PASSPHRASE',
  recipient: 'POSDECOM_RECIPIENT_PASSPHRASE',
});

/** A readable TTY, reduced to what the prompt uses (process.stdin fits). */
export interface PromptInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
  off(event: 'end', listener: () => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface PassphraseOptions {
  /**
   * For a key about to be created: asked twice on a TTY so a typo does not lock the key away,
   * and never taken from POSDECOM_KEY_PASSPHRASE (only from the role's own variable).
   */
  confirm?: boolean;
  /** Which key: its own variable is read first (see ROLE_ENV). */
  role?: KeyRole;
  env?: NodeJS.ProcessEnv;
  input?: PromptInput;
  output?: { write(s: string): unknown };
}

export async function getPassphrase(purpose: string, options: PassphraseOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const newKey = options.confirm === true;
  const roleVar = options.role ? ROLE_ENV[options.role] : undefined;
  // A new key with a role takes only its role's variable; an existing one falls back.
  const names = [roleVar, newKey && roleVar ? undefined : PASSPHRASE_ENV].filter(
    (n): n is string => n !== undefined,
  );
  for (const name of names) {
    const fromEnv = env[name];
    if (fromEnv === undefined) continue;
    if (fromEnv.length === 0) throw usage(`${name} is set but empty`);
    return fromEnv;
  }
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    const set = names.length > 1 ? `${names[0]} (or ${names[1]})` : names[0];
    throw usage(`no passphrase for the ${purpose}: set ${set} or run in a terminal`);
  }
  const first = await readHidden(input, output, `Passphrase for the ${purpose}: `);
  if (first.length === 0) throw usage('an empty passphrase is not allowed');
  if (options.confirm) {
    const second = await readHidden(input, output, `Repeat the passphrase for the ${purpose}: `);
    if (second !== first) throw usage('the passphrases do not match; nothing was written');
  }
  return first;
}

function readHidden(
  input: PromptInput,
  output: { write(s: string): unknown },
  prompt: string,
): Promise<string> {
  output.write(prompt);
  input.setRawMode?.(true);
  input.setEncoding('utf8');
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const finish = (err?: PosdecomError) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onEnd = () => finish(usage('no passphrase entered'));
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        // Raw mode delivers Ctrl-C and Ctrl-D as characters instead of signals.
        if (ch === '\u0003' || ch === '\u0004') return finish(usage('passphrase entry cancelled'));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

function usage(message: string): PosdecomError {
  return new PosdecomError(ErrorCode.UsageInvalid, message);
}

import { ErrorCode, PosdecomError } from '../../protocol/errors.js';

/**
 * Key passphrases come from the environment or from a no-echo prompt on the terminal, never
 * from a flag: flag values land in shell history and in `ps` output for every user to read.
 * The passphrase is never written anywhere, not even in an error message.
 */

export const PASSPHRASE_ENV = 'POSDECOM_KEY_PASSPHRASE';

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
  /** Ask twice (for a key about to be created) so a typo does not lock the key away. */
  confirm?: boolean;
  env?: NodeJS.ProcessEnv;
  input?: PromptInput;
  output?: { write(s: string): unknown };
}

export async function getPassphrase(purpose: string, options: PassphraseOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const fromEnv = env[PASSPHRASE_ENV];
  if (fromEnv !== undefined) {
    if (fromEnv.length === 0) throw usage(`${PASSPHRASE_ENV} is set but empty`);
    return fromEnv;
  }
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    throw usage(`no passphrase for the ${purpose}: set ${PASSPHRASE_ENV} or run in a terminal`);
  }
  const first = await readHidden(input, output, `Passphrase for the ${purpose}: `);
  if (first.length === 0) throw usage('an empty passphrase is not allowed');
  if (options.confirm) {
    const second = await readHidden(input, output, `Repeat the passphrase for the ${purpose}: `);
    if (second !== first) throw usage('the passphrases do not match');
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
